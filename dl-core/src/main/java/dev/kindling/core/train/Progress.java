package dev.kindling.core.train;

import java.io.Serializable;
import java.util.concurrent.atomic.AtomicLong;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's fixed-format progress line, at most once per interval:
 * {@code step=1200/5000 epoch=2 loss=1.93 lr=3.0e-04 samples/s=1.2k eta=4m10s}.
 */
public final class Progress extends BaseTrainingListener implements Serializable {
    private static final Logger LOG = LoggerFactory.getLogger(Progress.class);

    private final long totalSteps;
    private final long intervalNanos;
    private final AtomicLong steps = new AtomicLong();
    private final AtomicLong samples = new AtomicLong();
    private final long start = System.nanoTime();
    private long lastLine = System.nanoTime();
    private double lossSum;
    private long lossCount;

    public Progress(long totalSteps, int intervalSeconds) {
        this.totalSteps = totalSteps;
        this.intervalNanos = intervalSeconds * 1_000_000_000L;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        long s = steps.incrementAndGet();
        samples.addAndGet(model.batchSize());
        double score = model.score();
        lossSum += score;
        lossCount++;
        long now = System.nanoTime();
        if (now - lastLine >= intervalNanos || s == totalSteps) {
            lastLine = now;
            double lr = model instanceof ComputationGraph g ? learningRate(g, iteration, epoch) : Double.NaN;
            LOG.info(line(s, totalSteps, epoch + 1, score, lr, samples.get(), (now - start) / 1e9));
        }
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

    public static String line(long step, long total, int epoch, double loss, double lr, long samples, double elapsedSeconds) {
        double rate = samples / Math.max(elapsedSeconds, 1e-9);
        double eta = step == 0 ? Double.NaN : elapsedSeconds * (total - step) / step;
        return String.format("step=%d/%d epoch=%d loss=%.4f lr=%.1e samples/s=%s eta=%s",
                step, total, epoch, loss, lr, human(rate), duration(eta));
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
