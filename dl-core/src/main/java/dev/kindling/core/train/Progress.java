package dev.kindling.core.train;

import dev.kindling.core.precision.DynamicLossScale;
import dev.kindling.core.precision.LossScaling;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * The training loop's progress on this process's console ({@link ProgressLine}): the epoch's and the
 * run's steps, the epoch's running loss, learning rate, fp16 loss scale, samples/s and ETA
 * ({@link EpochProgress#line}), at most once per interval and at every epoch's last step. The trainer
 * says where each epoch starts ({@link #epochStarted}).
 */
public final class Progress extends BaseTrainingListener {
    private final int epochs;
    private final ProgressLine out;
    private int epoch;
    private long step;
    private long steps;
    private long samples;
    private long stepsTimed;
    private long epochStart = System.nanoTime();
    private double lossSum;
    private long lossCount;

    public Progress(int epochs, int intervalSeconds) {
        this(epochs, ProgressLine.console(intervalSeconds));
    }

    public Progress(int epochs, ProgressLine out) {
        this.epochs = epochs;
        this.out = out;
    }

    /** Epoch {@code epoch} (0-based) of {@code steps} steps starts at step {@code startStep} (a resumed epoch's). */
    public void epochStarted(int epoch, long startStep, long steps) {
        this.epoch = epoch;
        this.step = startStep;
        this.steps = steps;
        this.samples = 0;
        this.stepsTimed = 0;
        this.epochStart = System.nanoTime();
    }

    @Override
    public void iterationDone(Model model, int iteration, int ignoredEpoch) {
        step++;
        stepsTimed++;
        samples += model.batchSize();
        lossSum += model.score();
        lossCount++;
        out.offer(() -> snapshot(model, iteration).line(epochs), step == steps);
        if (step == steps) {
            out.finish();
        }
    }

    private EpochProgress snapshot(Model model, int iteration) {
        return new EpochProgress(epoch + 1, step, steps, samples, lossSum / lossCount, learningRate(model, iteration, epoch),
                lossScale(model), (System.nanoTime() - epochStart) / 1e9, stepsTimed);
    }

    /** fp16's dynamic loss scale of {@code model}; NaN without one. */
    public static double lossScale(Model model) {
        DynamicLossScale scale = LossScaling.stateOf(model);
        return scale == null ? Double.NaN : scale.scale();
    }

    /** {@link #learningRate(ComputationGraph, int, int)} for any model; NaN for one that is not a graph. */
    public static double learningRate(Model model, int iteration, int epoch) {
        return model instanceof ComputationGraph g ? learningRate(g, iteration, epoch) : Double.NaN;
    }

    /**
     * The output layer's rate: always trained at the base rate (a first layer may be frozen and have
     * none). DL4J's getLearningRate knows only BaseLayers, so SameDiff layers ask their updater.
     */
    static double learningRate(ComputationGraph g, int iteration, int epoch) {
        org.deeplearning4j.nn.conf.layers.Layer out = g.getOutputLayer(0).conf().getLayer();
        if (out instanceof org.deeplearning4j.nn.conf.layers.BaseLayer b && b.getIUpdater() instanceof dev.kindling.core.optim.Accumulate a) {
            return a.inner().getLearningRate(iteration / a.k(), epoch); // the optimizer step's rate, not the 0 of accumulating calls
        }
        Double lr = g.getLearningRate(out.getLayerName());
        if (lr == null && out instanceof org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer sd && sd.getUpdater() != null) {
            return sd.getUpdater().getLearningRate(iteration, epoch);
        }
        if (lr != null) {
            return lr;
        }
        for (org.deeplearning4j.nn.api.Layer layer : g.getLayers()) { // else the first layer that reports one
            Double any = g.getLearningRate(layer.conf().getLayer().getLayerName());
            if (any != null) {
                return any;
            }
        }
        return Double.NaN;
    }

    /** Mean of the per-step training scores since the last call, then resets. */
    public double takeMeanLoss() {
        double mean = lossCount == 0 ? Double.NaN : lossSum / lossCount;
        lossSum = 0;
        lossCount = 0;
        return mean;
    }

    static String human(double v) {
        if (v >= 1e6) {
            return String.format("%.1fM", v / 1e6);
        }
        return v >= 1e3 ? String.format("%.1fk", v / 1e3) : String.format("%.0f", v);
    }

    static String duration(double seconds) {
        if (Double.isNaN(seconds) || seconds < 0) {
            return "?";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, (s % 3600) / 60)
                : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
