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
    /** Per bucket: the undivided views inside it (null until the first step has shown them). */
    private List<List<INDArray>> undividedByBucket;
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
            miniBatch = model.conf() == null || model.conf().isMiniBatch();
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
        AllReduce.Totals totals;
        if (model.conf() != null && !model.conf().isMiniBatch()) {
            totals = ar.reduce(gradient, local, model.score() * local, wire); // the updater takes the sum as it is
        } else {
            List<INDArray> undivided = GlobalNormClipping.gradientViews(model, false);
            for (INDArray g : undivided) {
                g.muli(local);
            }
            totals = ar.reduce(gradient, local, model.score() * local, wire);
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
            for (INDArray g : GlobalNormClipping.gradientViews(model, false)) {
                undividedByBucket.get(plan.bucketOf(BucketPlan.offsetIn(g, gradient))).add(g);
            }
        }
        while (launched < plan.buckets()) {
            launch(model, launched++);
        }
        launched = 0;
        overlap.awaitAll();
        AllReduce.Totals totals = ar.totals(local, model.score() * local, busy);
        if (miniBatch) {
            model.getGradientsViewArray().muli(local / totals.samples());
            for (List<INDArray> views : undividedByBucket) {
                for (INDArray g : views) {
                    g.divi(local);
                }
            }
        }
        samples += totals.samples();
        lossSum += totals.lossSum();
        lastStepEnd = System.nanoTime();
        blockedNanos += lastStepEnd - t0;
    }
}
