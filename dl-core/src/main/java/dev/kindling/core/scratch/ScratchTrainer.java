package dev.kindling.core.scratch;

import dev.kindling.core.data.SeedTasks;
import java.util.Arrays;
import java.util.Objects;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seed's training run for the scratch MLP: minibatch SGD over a freshly shuffled permutation
 * each epoch, on the {@link QuadrantTask}. One {@link Random} built from {@link Spec#seed()} feeds,
 * in order, the data, the weight initialization and every epoch's permutation (the seed's single
 * {@code np.random} stream), so a run is a pure function of its spec.
 */
public final class ScratchTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(ScratchTrainer.class);

    /**
     * @param dims         layer widths (length >= 2; first = {@link QuadrantTask#FEATURES}, last =
     *                     {@link QuadrantTask#CLASSES})
     * @param learningRate SGD step (> 0)
     * @param batchSize    examples per step (>= 1); the last batch of an epoch may be smaller
     * @param epochs       passes over the data (>= 1)
     * @param points       training set size (>= 1)
     * @param seed         the run's only source of randomness
     * @param logEvery     log a progress line every this many epochs (>= 1)
     */
    public record Spec(int[] dims, double learningRate, int batchSize, int epochs, int points,
                       long seed, int logEvery) {
        public Spec {
            Objects.requireNonNull(dims, "dims");
            dims = dims.clone();
            if (dims.length < 2 || dims[0] != QuadrantTask.FEATURES
                    || dims[dims.length - 1] != QuadrantTask.CLASSES) {
                throw new IllegalArgumentException("dims=" + Arrays.toString(dims) + ": must start with "
                        + QuadrantTask.FEATURES + " and end with " + QuadrantTask.CLASSES
                        + ", e.g. [2, 64, 32, 4]");
            }
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learningRate=" + learningRate
                        + ": must be finite and > 0");
            }
            if (batchSize < 1 || epochs < 1 || points < 1 || logEvery < 1) {
                throw new IllegalArgumentException("batchSize=" + batchSize + ", epochs=" + epochs
                        + ", points=" + points + ", logEvery=" + logEvery + ": all must be >= 1");
            }
        }

        /** The seed's values: [2, 64, 32, 4], lr 0.05, batch 64, 100 epochs, 1000 points, seed 42. */
        public static Spec tutorial() {
            return new Spec(new int[] {2, 64, 32, 4}, 0.05, 64, 100, 1000, 42L, 20);
        }

        /** A few-millisecond run for tests. */
        public static Spec tiny() {
            return new Spec(new int[] {2, 8, 4}, 0.05, 16, 3, 64, 1L, 1);
        }

        @Override
        public int[] dims() {
            return dims.clone();
        }

        // Records compare arrays by reference; a spec is a value, so compare the widths by content.
        @Override
        public boolean equals(Object o) {
            return o instanceof Spec s && Arrays.equals(dims, s.dims)
                    && Double.compare(learningRate, s.learningRate) == 0 && batchSize == s.batchSize
                    && epochs == s.epochs && points == s.points && seed == s.seed
                    && logEvery == s.logEvery;
        }

        @Override
        public int hashCode() {
            return Objects.hash(Arrays.hashCode(dims), learningRate, batchSize, epochs, points, seed,
                    logEvery);
        }

        @Override
        public String toString() {
            return "Spec[dims=" + Arrays.toString(dims) + ", learningRate=" + learningRate
                    + ", batchSize=" + batchSize + ", epochs=" + epochs + ", points=" + points
                    + ", seed=" + seed + ", logEvery=" + logEvery + "]";
        }
    }

    /**
     * @param finalEpochLossSum sum of the minibatch mean losses of the last epoch (the seed's
     *                          {@code total_loss})
     * @param trainAccuracy     accuracy on the training set after the last epoch, in [0, 1]
     * @param epochs            epochs run
     * @param data              the training set
     * @param model             the trained network
     */
    public record Result(double finalEpochLossSum, double trainAccuracy, int epochs, QuadrantTask data,
                         ScratchMlp model) {
        public Result {
            Objects.requireNonNull(data, "data");
            Objects.requireNonNull(model, "model");
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs=" + epochs + ": must be >= 1");
            }
        }
    }

    /** Runs the spec to completion; deterministic for a fixed spec. */
    public static Result run(Spec spec) {
        Random rng = new Random(spec.seed());
        QuadrantTask data = QuadrantTask.generate(spec.points(), rng);
        ScratchMlp net = ScratchMlp.create(spec.dims(), rng);
        double[][] x = data.features();
        int[] y = data.labels();
        int n = data.size();
        double totalLoss = Double.NaN;
        for (int epoch = 0; epoch < spec.epochs(); epoch++) {
            int[] idx = SeedTasks.permutation(n, rng);
            totalLoss = 0.0;
            for (int start = 0; start < n; start += spec.batchSize()) {
                int end = Math.min(start + spec.batchSize(), n);
                double[][] xb = new double[end - start][]; // [b, 2]
                int[] yb = new int[end - start]; // [b]
                for (int i = start; i < end; i++) {
                    xb[i - start] = x[idx[i]];
                    yb[i - start] = y[idx[i]];
                }
                totalLoss += net.forward(xb, yb);
                net.backward();
                net.step(spec.learningRate());
            }
            if (epoch % spec.logEvery() == 0 || epoch == spec.epochs() - 1) {
                LOG.info("epoch={}/{} loss={} acc={}", epoch, spec.epochs(),
                        String.format("%.3f", totalLoss), String.format("%.3f", net.accuracy(x, y)));
            }
        }
        return new Result(totalLoss, net.accuracy(x, y), spec.epochs(), data, net);
    }

    private ScratchTrainer() {}
}
