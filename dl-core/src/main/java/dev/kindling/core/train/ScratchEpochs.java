package dev.kindling.core.train;

import dev.kindling.core.metrics.ClassificationMetrics;
import dev.kindling.core.metrics.TaskMetrics;
import dev.kindling.core.scratch.ScratchMlp;
import dev.kindling.core.scratch.ScratchMlpGraph;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@code --model scratch-mlp}: the seed's from-scratch MLP trained by its own hand-written backprop
 * and SGD on prepared shards. After every epoch its weights are copied into the DL4J twin graph,
 * which validation, early stopping and {@code model.zip} use, so evaluate works on it as on any model.
 */
public final class ScratchEpochs implements EpochLoop.Epochs {
    /** The seed's hidden widths: MLP([2, 64, 32, 4]). */
    public static final int[] HIDDEN = {64, 32};

    private final ScratchMlp net;
    private final ComputationGraph twin;
    private final List<String> trainShards;
    private final List<String> valShards;
    private final Function<String, DataSet> loader;
    private final double lr;
    private final int classes;
    private final long seed;

    public ScratchEpochs(int inputs, int classes, double lr, long seed, List<String> trainShards,
                         List<String> valShards, Function<String, DataSet> loader) {
        this.net = ScratchMlp.create(new int[] {inputs, HIDDEN[0], HIDDEN[1], classes}, seed);
        this.twin = ScratchMlpGraph.fromScratch(net);
        this.trainShards = List.copyOf(trainShards);
        this.valShards = List.copyOf(valShards);
        this.loader = loader;
        this.lr = lr;
        this.classes = classes;
        this.seed = seed;
    }

    /** The DL4J graph holding the scratch net's weights (the best epoch's after training). */
    public ComputationGraph graph() {
        return twin;
    }

    @Override
    public EpochLoop.EpochFit fit(int epoch, int startStep, EpochLoop.StepHook afterStep) {
        List<String> order = new ArrayList<>(trainShards);
        Collections.shuffle(order, new Random(seed + epoch));
        double lossSum = 0;
        long samples = 0;
        for (String path : order) {
            DataSet ds = loader.apply(path);
            double[][] x = ds.getFeatures().toDoubleMatrix(); // [b, d]
            int[] y = argmaxRows(ds.getLabels().toDoubleMatrix()); // one-hot [b, C] -> [b]
            lossSum += net.forward(x, y);
            net.backward();
            net.step(lr);
            samples += y.length;
        }
        ScratchMlpGraph.copyWeights(net, twin);
        return new EpochLoop.EpochFit(lossSum / order.size(), order.size(), samples);
    }

    @Override
    public TaskMetrics validate() {
        TaskMetrics m = new TaskMetrics.Classification(classes, List.of());
        valShards.stream().map(loader).forEach(ds -> m.add(twin, ds));
        return m;
    }

    static int[] argmaxRows(double[][] onehot) {
        int[] y = new int[onehot.length];
        for (int i = 0; i < onehot.length; i++) {
            y[i] = ClassificationMetrics.argmax(onehot[i]);
        }
        return y;
    }
}
