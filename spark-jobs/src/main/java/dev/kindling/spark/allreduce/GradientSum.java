package dev.kindling.spark.allreduce;

import dev.kindling.core.optim.GlobalNormClipping;
import dev.kindling.spark.config.Wire;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Replaces the minibatch gradient by the mean over every worker's examples, before the updater:
 * DL4J's gradient here is the minibatch sum, which the updater divides by the local batch size,
 * so the summed gradient is scaled by {@code local / total}; pseudo-gradients the updater does not
 * divide (BatchNorm's running statistics) become the example-weighted mean of the workers'.
 *
 * <p>With buckets ({@link BucketPlan}, {@code --overlap}) each bucket's all-reduce starts on the
 * {@link OverlapThread} as soon as backprop has finished it ({@link #backwardDone}), and the step waits
 * only for what is still in flight; the loss, known only after backprop, follows in one
 * {@link AllReduce#totals} call. The arithmetic is the same as without buckets, bit for bit. The
 * first step of each epoch reduces after backprop: it learns where the undivided views lie.
 */
final class GradientSum extends Sharing {
    private final AllReduce ar;
    private final Wire wire;
    private final BucketPlan plan;
    private final OverlapThread overlap;
    /** Per bucket: the undivided views inside it (null until the first step has shown them); and all of them. */
    private List<List<INDArray>> undividedByBucket;
    private List<INDArray> undivided;
    private int launched;
    /** Buckets launched so far while backprop was still running, and in all. */
    long launchedDuringBackprop;
    long launchedInAll;
    private int local;
    private boolean miniBatch;
    private long lastStepEnd = System.nanoTime();

    /** @param wire the precision the gradient is sent in */
    GradientSum(AllReduce ar, Wire wire) {
        this(ar, wire, null, null);
    }

    /** With {@code plan} and {@code overlap} (both or neither): buckets reduced as backprop finishes them. */
    GradientSum(AllReduce ar, Wire wire, BucketPlan plan, OverlapThread overlap) {
        this.ar = ar;
        this.wire = wire;
        this.plan = plan;
        this.overlap = overlap;
    }

    /** Backprop has finished the vertex at topological {@code position}: launches every bucket it completes. */
    void backwardDone(Model model, int position) {
        if (undividedByBucket == null) {
            return;
        }
        long finalFrom = plan.offset()[position];
        while (launched < plan.buckets() && plan.start()[launched] >= finalFrom) {
            launch(model, launched++);
            launchedDuringBackprop++;
        }
    }

    private void launch(Model model, int bucket) {
        if (bucket == 0) {
            local = Math.max(1, model.batchSize());
            miniBatch = miniBatch(model);
        }
        if (miniBatch) {
            for (INDArray g : undividedByBucket.get(bucket)) {
                g.muli(local);
            }
        }
        INDArray gradient = model.getGradientsViewArray();
        long from = plan.start()[bucket];
        long to = plan.end()[bucket];
        overlap.launch(() -> ar.reduceRange(gradient, from, to, wire));
        launchedInAll++;
    }

    @Override
    public void onGradientCalculation(Model model) {
        if (plan == null) {
            long t0 = System.nanoTime();
            reduceAfterBackprop(model);
            blockedNanos += System.nanoTime() - t0;
        } else {
            reduceBuckets(model);
        }
    }

    private void reduceAfterBackprop(Model model) {
        int local = Math.max(1, model.batchSize());
        INDArray gradient = model.getGradientsViewArray();
        boolean miniBatch = miniBatch(model);
        List<INDArray> views = miniBatch ? GlobalNormClipping.gradientViews(model, false) : List.of(); // the undivided ones
        for (INDArray g : views) {
            g.muli(local);
        }
        AllReduce.Totals totals = ar.reduce(gradient, local, model.score() * local, wire);
        finish(gradient, miniBatch, local, views, totals);
    }

    /** Whether the updater divides the gradient by the batch size (else it takes the sum as it is). */
    private static boolean miniBatch(Model model) {
        return model.conf() == null || model.conf().isMiniBatch();
    }

    /**
     * After the sum: the gradient scaled from the workers' sum to this worker's share of the mean
     * ({@code local / total}, which the updater's division by {@code local} completes), the undivided views back
     * to the example-weighted mean; every worker's examples and loss counted.
     */
    private void finish(INDArray gradient, boolean miniBatch, int local, Iterable<INDArray> undivided, AllReduce.Totals totals) {
        if (miniBatch) {
            gradient.muli(local / totals.samples());
            for (INDArray g : undivided) {
                g.divi(local);
            }
        }
        samples += totals.samples();
        lossSum += totals.lossSum();
    }

    private void reduceBuckets(Model model) {
        long t0 = System.nanoTime();
        double busy = (t0 - lastStepEnd) / 1e9;
        if (undividedByBucket == null) {
            undividedByBucket = new ArrayList<>();
            for (int b = 0; b < plan.buckets(); b++) {
                undividedByBucket.add(new ArrayList<>());
            }
            INDArray gradient = model.getGradientsViewArray();
            undivided = GlobalNormClipping.gradientViews(model, false);
            for (INDArray g : undivided) {
                undividedByBucket.get(plan.bucketOf(BucketPlan.offsetIn(g, gradient))).add(g);
            }
        }
        while (launched < plan.buckets()) {
            launch(model, launched++);
        }
        launched = 0;
        overlap.awaitAll();
        AllReduce.Totals totals = ar.totals(local, model.score() * local, busy);
        finish(model.getGradientsViewArray(), miniBatch, local, undivided, totals);
        lastStepEnd = System.nanoTime();
        blockedNanos += lastStepEnd - t0;
    }
}
