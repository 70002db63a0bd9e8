package dev.kindling.core.train;

import dev.kindling.core.metrics.TaskMetrics;
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
 * epochs, and checkpoint (every {@code checkpointEvery} steps where the trainer reports steps, and
 * at every epoch end). At the end the network holds the best parameters seen (the seed saves
 * best_model.pt the same way; Kindling also returns it).
 */
public final class EpochLoop {
    private static final Logger LOG = LoggerFactory.getLogger(EpochLoop.class);

    /** How one trainer fits and validates an epoch. */
    public interface Epochs {
        /**
         * Trains one epoch (the network's epoch counter is already set), starting at step
         * {@code startStep} of the epoch's order (non-zero only when resuming a local run), calling
         * {@code afterStep} with the number of steps done so far in the epoch, where it can.
         */
        EpochFit fit(int epoch, int startStep, StepHook afterStep) throws Exception;

        TaskMetrics validate() throws Exception;
    }

    /** Called after each training step with the steps done in the current epoch. */
    @FunctionalInterface
    public interface StepHook {
        void stepDone(int stepsInEpoch) throws Exception;
    }

    /** Receives the loop's state to make it durable; see {@link Checkpoints}. */
    @FunctionalInterface
    public interface Checkpointer {
        void save(ComputationGraph net, LoopState state) throws Exception;
    }

    /** @param trainLoss mean training loss, NaN where the master does not report it */
    public record EpochFit(double trainLoss, long steps, long samples) {}

    public record EpochRecord(int epoch, double trainLoss, double valLoss, double valAccuracy, double lr, double seconds) {}

    public record Outcome(List<EpochRecord> history, int bestEpoch, double bestValLoss, boolean stoppedEarly,
                          long steps, long samples, double fitSeconds) {}

    /**
     * Everything the loop needs to continue where it stopped: the epoch and step within it, the
     * history, the best parameters so far and the early-stopping counter.
     */
    public static final class LoopState {
        public int epoch;
        public int stepInEpoch;
        public final List<EpochRecord> history = new ArrayList<>();
        public INDArray best;
        public double bestLoss = Double.POSITIVE_INFINITY;
        public int bestEpoch = -1;
        public int sinceBest;
        public long steps;
        public long samples;
        public double fitSeconds;
        /** Early stopping fired: a resumed run has nothing left to train. */
        public boolean stopped;
        /** The EMA shadow of the parameters ({@code --ema-decay}), or null. */
        public INDArray ema;
        /**
         * Replicas that trained in lockstep when the state was saved (Kindling's master); 1 in one JVM.
         * {@link #stepInEpoch} counts shards of the epoch's order, whatever the replica count, so a run
         * can resume on a different one.
         */
        public int workers = 1;
    }

    /** A fresh run without checkpoints. */
    public static Outcome run(ComputationGraph net, Epochs epochs, int maxEpochs, int patience, IntToDoubleFunction lrAt)
            throws Exception {
        return run(net, epochs, maxEpochs, patience, lrAt, new LoopState(), 0, (n, s) -> { });
    }

    /**
     * @param state           where to start: new, or read back from a checkpoint
     * @param checkpointEvery steps between mid-epoch checkpoints (0: epoch ends only)
     */
    public static Outcome run(ComputationGraph net, Epochs epochs, int maxEpochs, int patience, IntToDoubleFunction lrAt,
                              LoopState state, int checkpointEvery, Checkpointer checkpointer) throws Exception {
        return run(net, epochs, maxEpochs, patience, lrAt, state, checkpointEvery, checkpointer, Double.POSITIVE_INFINITY);
    }

    /**
     * @param budgetSeconds wall-clock budget of this call (training and validation): no epoch is
     *                      started that the mean epoch length so far says would end past it
     */
    public static Outcome run(ComputationGraph net, Epochs epochs, int maxEpochs, int patience, IntToDoubleFunction lrAt,
                              LoopState state, int checkpointEvery, Checkpointer checkpointer, double budgetSeconds) throws Exception {
        long start = System.nanoTime();
        int firstEpoch = state.epoch;
        for (int epoch = state.epoch; epoch < maxEpochs && !state.stopped; epoch++) {
            net.getConfiguration().setEpochCount(epoch);
            state.epoch = epoch;
            int startStep = state.stepInEpoch;
            long t0 = System.nanoTime();
            EpochFit fit = epochs.fit(epoch, startStep, done -> {
                if (checkpointEvery > 0 && done % checkpointEvery == 0) {
                    state.stepInEpoch = done;
                    checkpointer.save(net, state);
                }
            });
            double seconds = (System.nanoTime() - t0) / 1e9;
            state.fitSeconds += seconds;
            state.steps += fit.steps();
            state.samples += fit.samples();
            TaskMetrics val = epochs.validate();
            checkFinite(val.loss(), epoch);
            EpochRecord rec = new EpochRecord(epoch, fit.trainLoss(), val.loss(), val.accuracy(), lrAt.applyAsDouble(epoch), seconds);
            state.history.add(rec);
            double elapsed = (System.nanoTime() - start) / 1e9;
            LOG.info("epoch={}/{} train_loss={} val_loss={} val_acc={} lr={} epoch_s={} samples/s={} eta={}",
                    epoch + 1, maxEpochs, fmt(fit.trainLoss()), fmt(val.loss()), fmt(val.accuracy()),
                    String.format("%.2e", rec.lr()), String.format("%.1f", seconds),
                    Progress.human(fit.samples() / Math.max(seconds, 1e-9)),
                    Progress.duration(elapsed / (epoch + 1 - firstEpoch) * (maxEpochs - epoch - 1)));
            boolean stop = false;
            if (val.loss() < state.bestLoss) {
                state.bestLoss = val.loss();
                state.bestEpoch = epoch;
                state.best = net.params().dup();
                state.sinceBest = 0;
            } else if (patience > 0 && ++state.sinceBest >= patience) {
                LOG.info("early stopping at epoch {}: val_loss has not improved on {} (epoch {}) for {} epochs",
                        epoch + 1, fmt(state.bestLoss), state.bestEpoch + 1, patience);
                stop = true;
            }
            double perEpoch = elapsed / (epoch + 1 - firstEpoch);
            if (!stop && epoch + 1 < maxEpochs && elapsed + perEpoch > budgetSeconds) {
                LOG.info("time budget: stopping after epoch {} ({} of {} used; another epoch takes about {})", epoch + 1,
                        Progress.duration(elapsed), Progress.duration(budgetSeconds), Progress.duration(perEpoch));
                stop = true;
            }
            state.epoch = epoch + 1;
            state.stepInEpoch = 0;
            state.stopped = stop;
            checkpointer.save(net, state);
        }
        if (state.best != null) {
            net.setParams(state.best);
        }
        return new Outcome(List.copyOf(state.history), state.bestEpoch, state.bestLoss, state.stopped, state.steps, state.samples,
                state.fitSeconds);
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
