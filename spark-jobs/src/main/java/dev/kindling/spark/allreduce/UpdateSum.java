package dev.kindling.spark.allreduce;

import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The topk encoding: each replica takes its own optimizer step on its own minibatch (its optimizer
 * state stays its own, as with DL4J's shared master), then the replicas exchange the steps, sparse:
 * each sends the largest entries of its parameter change plus what it has not sent yet
 * ({@link TopK}), and every replica moves from the parameters it started the step with by the sum
 * of all replicas' sent entries. All replicas apply the same sum to the same parameters, so they
 * stay identical. Sending gradients instead (and one optimizer step on their sparse sum) trained
 * worse: Adam normalises each entry by its own history, so an entry sent rarely takes an outsized
 * step (measured: Fashion MLP, 1 epoch, density 0.004, test accuracy 0.811 against 0.848 dense).
 */
final class UpdateSum extends Sharing {
    private final AllReduce ar;
    private final TopK topK;
    private INDArray before;
    private INDArray change;

    UpdateSum(AllReduce ar, TopK topK) {
        this.ar = ar;
        this.topK = topK;
    }

    @Override
    public void onGradientCalculation(Model model) {
        if (before == null) {
            before = Nd4j.create(DataType.FLOAT, model.numParams());
            change = Nd4j.create(DataType.FLOAT, model.numParams());
        }
        before.assign(model.params().reshape(model.numParams()));
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        INDArray params = model.params().reshape(model.numParams());
        change.assign(params).subi(before);
        int local = Math.max(1, model.batchSize());
        int count = topK.select(change);
        long t0 = System.nanoTime();
        AllReduce.Totals totals = ar.reduceSparse(change, topK.index(), topK.value(), count, local, model.score() * local);
        blockedNanos += System.nanoTime() - t0;
        params.assign(before).addi(change);
        samples += totals.samples();
        lossSum += totals.lossSum();
    }
}
