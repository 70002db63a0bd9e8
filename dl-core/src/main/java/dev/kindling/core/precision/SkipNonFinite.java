package dev.kindling.core.precision;

import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * An updater wrapper that never applies a gradient holding a non-finite value: the update is zero,
 * the wrapped updater's state (moments, step count) is left as it was, and the learning rate it
 * reports for that call is 0, so that DL4J's post-updater weight decay adds nothing either. This is
 * the "skip the step" of fp16 loss scaling ({@link LossScaling} makes an overflow non-finite in
 * every parameter block); it lives in the updater so that DL4J serializes it to every Spark worker.
 */
public final class SkipNonFinite implements IUpdater {
    private static final long serialVersionUID = 1L;

    private IUpdater inner;
    /** Set by the last applyUpdater of an updater this configuration instantiated; read by DL4J right after. */
    private transient volatile boolean skipping;

    /** For JSON. */
    public SkipNonFinite() {
    }

    public SkipNonFinite(IUpdater inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    public IUpdater inner() {
        return inner;
    }

    @Override
    public long stateSize(long numParams) {
        return inner.stateSize(numParams);
    }

    @Override
    public GradientUpdater instantiate(INDArray viewArray, boolean initialize) {
        return new Updater(this, inner.instantiate(viewArray, initialize));
    }

    @Override
    public GradientUpdater instantiate(Map<String, INDArray> state, boolean initialize) {
        return new Updater(this, inner.instantiate(state, initialize));
    }

    @Override
    public SkipNonFinite clone() {
        return new SkipNonFinite(inner.clone());
    }

    @Override
    public double getLearningRate(int iteration, int epoch) {
        return skipping ? 0.0 : inner.getLearningRate(iteration, epoch);
    }

    @Override
    public boolean hasLearningRate() {
        return inner.hasLearningRate();
    }

    @Override
    public void setLrAndSchedule(double lr, ISchedule schedule) {
        inner.setLrAndSchedule(lr, schedule);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SkipNonFinite s && inner.equals(s.inner);
    }

    @Override
    public int hashCode() {
        return Objects.hash(SkipNonFinite.class, inner);
    }

    @Override
    public String toString() {
        return "SkipNonFinite(" + inner + ")";
    }

    static final class Updater implements GradientUpdater<SkipNonFinite> {
        private final SkipNonFinite config;
        private final GradientUpdater<?> inner;

        Updater(SkipNonFinite config, GradientUpdater<?> inner) {
            this.config = config;
            this.inner = inner;
        }

        @Override
        public SkipNonFinite getConfig() {
            return config;
        }

        @Override
        public void setState(Map<String, INDArray> state, boolean initialize) {
            inner.setState(state, initialize);
        }

        @Override
        public Map<String, INDArray> getState() {
            return inner.getState();
        }

        @Override
        public void setStateViewArray(INDArray viewArray, long[] gradientShape, char order, boolean initialize) {
            inner.setStateViewArray(viewArray, gradientShape, order, initialize);
        }

        @Override
        public void applyUpdater(INDArray gradient, int iteration, int epoch) {
            if (!LossScaling.allFinite(gradient)) {
                config.skipping = true;
                gradient.assign(0);
                return;
            }
            config.skipping = false;
            inner.applyUpdater(gradient, iteration, epoch);
        }
    }
}
