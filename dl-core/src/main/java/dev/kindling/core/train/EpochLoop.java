package dev.kindling.core.train;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The epoch loop every trainer shares, local or distributed: fit an epoch, validate, record,
 * keep the best parameters, stop early when validation loss has not improved for {@code patience}
 * epochs. At the end the network holds the best parameters seen (the seed saves best_model.pt the
 * same way; Kindling also returns it).
 */
public final class EpochLoop {
    private static final Logger LOG = LoggerFactory.getLogger(EpochLoop.class);

    /** How one trainer fits and validates an epoch. */
    public interface Epochs {
        /** Trains one epoch (the network's epoch counter is already set). */
        EpochFit fit(int epoch) throws Exception;

        ClassificationMetrics validate() throws Exception;
    }

    /** @param trainLoss mean training loss, NaN where the master does not report it */
    public record EpochFit(double trainLoss, long steps, long samples) {}

    public record EpochRecord(int epoch, double trainLoss, double valLoss, double valAccuracy, double lr, double seconds) {}

    public record Outcome(List<EpochRecord> history, int bestEpoch, double bestValLoss, boolean stoppedEarly,
                          long steps, long samples, double fitSeconds) {}

    /**
     * @param patience epochs without improvement before stopping; 0 disables early stopping
     * @param lrAt     the learning rate of an epoch, for the record
     */
    public static Outcome run(ComputationGraph net, Epochs epochs, int maxEpochs, int patience, IntToDoubleFunction lrAt)
            throws Exception {
        List<EpochRecord> history = new ArrayList<>();
        INDArray best = null;
        double bestLoss = Double.POSITIVE_INFINITY;
        int bestEpoch = -1;
        int sinceBest = 0;
        long steps = 0;
        long samples = 0;
        double fitSeconds = 0;
        boolean stopped = false;
        long start = System.nanoTime();
        for (int epoch = 0; epoch < maxEpochs; epoch++) {
            net.getConfiguration().setEpochCount(epoch);
            long t0 = System.nanoTime();
            EpochFit fit = epochs.fit(epoch);
            double seconds = (System.nanoTime() - t0) / 1e9;
            fitSeconds += seconds;
            steps += fit.steps();
            samples += fit.samples();
            ClassificationMetrics val = epochs.validate();
            checkFinite(val.loss(), epoch);
            EpochRecord rec = new EpochRecord(epoch, fit.trainLoss(), val.loss(), val.accuracy(), lrAt.applyAsDouble(epoch), seconds);
            history.add(rec);
            double elapsed = (System.nanoTime() - start) / 1e9;
            LOG.info("epoch={}/{} train_loss={} val_loss={} val_acc={} lr={} epoch_s={} samples/s={} eta={}",
                    epoch + 1, maxEpochs, fmt(fit.trainLoss()), fmt(val.loss()), fmt(val.accuracy()),
                    String.format("%.2e", rec.lr()), String.format("%.1f", seconds),
                    Progress.human(fit.samples() / Math.max(seconds, 1e-9)),
                    Progress.duration(elapsed / (epoch + 1) * (maxEpochs - epoch - 1)));
            if (val.loss() < bestLoss) {
                bestLoss = val.loss();
                bestEpoch = epoch;
                best = net.params().dup();
                sinceBest = 0;
            } else if (patience > 0 && ++sinceBest >= patience) {
                LOG.info("early stopping at epoch {}: val_loss has not improved on {} (epoch {}) for {} epochs",
                        epoch + 1, fmt(bestLoss), bestEpoch + 1, patience);
                stopped = true;
                break;
            }
        }
        if (best != null) {
            net.setParams(best);
        }
        return new Outcome(history, bestEpoch, bestLoss, stopped, steps, samples, fitSeconds);
    }

    private static void checkFinite(double loss, int epoch) {
        if (Double.isNaN(loss) || Double.isInfinite(loss)) {
            throw new IllegalStateException("validation loss is " + loss + " after epoch " + (epoch + 1)
                    + ": training diverged; lower --lr or keep --clip-norm on");
        }
    }

    static String fmt(double v) {
        return Double.isNaN(v) ? "n/a" : String.format("%.4f", v);
    }

    private EpochLoop() {}
}
