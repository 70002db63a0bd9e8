package dev.kindling.core.optim;

import java.util.Objects;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.FixedSchedule;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * The learning-rate half every Kindling {@link IUpdater} shares: a fixed rate or an {@link ISchedule}.
 * Fields are plain and non-final: DL4J serializes updaters by their fields (JSON, with the class
 * name), and Spark's Kryo ships them to executors inside the network configuration.
 */
public abstract class ScheduledUpdater implements IUpdater {
    private static final long serialVersionUID = 1L;

    protected double learningRate = Double.NaN;
    protected ISchedule learningRateSchedule;

    protected ScheduledUpdater() {
    }

    protected ScheduledUpdater(ISchedule lr) {
        this.learningRateSchedule = Objects.requireNonNull(lr, "lr");
    }

    @Override
    public double getLearningRate(int iteration, int epoch) {
        return learningRateSchedule != null ? learningRateSchedule.valueAt(iteration, epoch) : learningRate;
    }

    @Override
    public boolean hasLearningRate() {
        return true;
    }

    @Override
    public void setLrAndSchedule(double lr, ISchedule lrSchedule) {
        this.learningRate = lr;
        this.learningRateSchedule = lrSchedule;
    }

    public ISchedule schedule() {
        return learningRateSchedule != null ? learningRateSchedule : new FixedSchedule(learningRate);
    }

    protected boolean sameRate(ScheduledUpdater o) {
        return Double.compare(learningRate, o.learningRate) == 0 && Objects.equals(learningRateSchedule, o.learningRateSchedule);
    }

    protected int rateHash() {
        return Objects.hash(learningRate, learningRateSchedule);
    }

    @Override
    public abstract ScheduledUpdater clone();

    /** A 1-D view of {@code view}, or a fresh zero array of {@code n} when DL4J gives none (the map form). */
    static org.nd4j.linalg.api.ndarray.INDArray flat(org.nd4j.linalg.api.ndarray.INDArray view, boolean initialize) {
        org.nd4j.linalg.api.ndarray.INDArray v = view.reshape(view.length());
        if (initialize) {
            v.assign(0);
        }
        return v;
    }
}
