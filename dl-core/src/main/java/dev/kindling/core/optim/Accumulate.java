package dev.kindling.core.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Gradient accumulation as an updater wrapper: {@code k} consecutive minibatch gradients (DL4J has
 * already divided each by its batch size) are summed in the updater state; the first {@code k - 1}
 * produce a zero update, the {@code k}-th hands their mean to the wrapped updater, which then steps
 * once at optimizer step {@code iteration / k}. With equal micro-batches that is one step on a batch
 * {@code k} times larger. Which call steps follows from DL4J's iteration counter (saved in every
 * model and checkpoint), so resuming stays exact; the learning rate reported to regularization is 0
 * on the accumulating calls, so decoupled weight decay is applied once per optimizer step. Living in
 * the updater, it runs wherever DL4J runs the updater: locally and on every Spark worker; with the
 * shared master the zero updates of the accumulating calls encode to (almost) nothing, so the
 * workers exchange about {@code k} times fewer bytes per sample.
 */
public final class Accumulate implements IUpdater {
    private static final long serialVersionUID = 1L;
    public static final String SUM = "accumulated";

    private IUpdater inner;
    private int k;

    /** For JSON. */
    public Accumulate() {
    }

    /** @param k micro-batches per optimizer step (&gt;= 2) */
    public Accumulate(IUpdater inner, int k) {
        if (k < 2) {
            throw new IllegalArgumentException("k=" + k + ": must be >= 2 (1 needs no wrapper)");
        }
        this.inner = Objects.requireNonNull(inner, "inner");
        this.k = k;
    }

    public IUpdater inner() {
        return inner;
    }

    public int k() {
        return k;
    }

    /** Whether DL4J's {@code iteration} (0-based, one per minibatch) ends an accumulation group. */
    public boolean steps(int iteration) {
        return (iteration + 1) % k == 0;
    }

    @Override
    public long stateSize(long numParams) {
        return inner.stateSize(numParams) + numParams;
    }

    @Override
    public GradientUpdater instantiate(INDArray viewArray, boolean initialize) {
        INDArray flat = viewArray.reshape(viewArray.length());
        long innerSize = flat.length() - numParams(flat.length());
        GradientUpdater in = innerSize == 0 ? inner.instantiate((INDArray) null, initialize)
                : inner.instantiate(flat.get(NDArrayIndex.interval(0, innerSize)).reshape(1, innerSize), initialize);
        INDArray sum = flat.get(NDArrayIndex.interval(innerSize, flat.length()));
        if (initialize) {
            sum.assign(0);
        }
        return new Updater(this, in, sum);
    }

    /** The parameter count behind a state of {@code stateLength} (inner state is a multiple of it). */
    private long numParams(long stateLength) {
        long perParam = inner.stateSize(1) + 1;
        return stateLength / perParam;
    }

    @Override
    public GradientUpdater instantiate(Map<String, INDArray> state, boolean initialize) {
        Map<String, INDArray> innerState = new LinkedHashMap<>(state);
        INDArray sum = innerState.remove(SUM);
        GradientUpdater in = inner.instantiate(innerState, initialize);
        if (initialize) {
            sum.assign(0);
        }
        return new Updater(this, in, sum.reshape(sum.length()));
    }

    @Override
    public Accumulate clone() {
        return new Accumulate(inner.clone(), k);
    }

    @Override
    public double getLearningRate(int iteration, int epoch) {
        return steps(iteration) ? inner.getLearningRate(iteration / k, epoch) : 0.0;
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
        return o instanceof Accumulate a && a.k == k && inner.equals(a.inner);
    }

    @Override
    public int hashCode() {
        return Objects.hash(inner, k);
    }

    @Override
    public String toString() {
        return "Accumulate(k=" + k + ", " + inner + ")";
    }

    static final class Updater implements GradientUpdater<Accumulate> {
        private final Accumulate config;
        private final GradientUpdater<?> inner;
        private INDArray sum;

        Updater(Accumulate config, GradientUpdater<?> inner, INDArray sum) {
            this.config = config;
            this.inner = inner;
            this.sum = sum;
        }

        @Override
        public Accumulate getConfig() {
            return config;
        }

        @Override
        public void setState(Map<String, INDArray> state, boolean initialize) {
            Map<String, INDArray> innerState = new LinkedHashMap<>(state);
            sum = innerState.remove(SUM).reshape(-1);
            inner.setState(innerState, initialize);
            if (initialize) {
                sum.assign(0);
            }
        }

        @Override
        public Map<String, INDArray> getState() {
            Map<String, INDArray> m = new LinkedHashMap<>(inner.getState());
            m.put(SUM, sum);
            return m;
        }

        @Override
        public void setStateViewArray(INDArray viewArray, long[] gradientShape, char order, boolean initialize) {
            throw new UnsupportedOperationException("Accumulate is instantiated with its view by Accumulate.instantiate");
        }

        @Override
        public void applyUpdater(INDArray gradient, int iteration, int epoch) {
            INDArray g = gradient.reshape(gradient.length());
            sum.addi(g);
            if (!config.steps(iteration)) {
                g.assign(0);
                return;
            }
            g.assign(sum).divi(config.k);
            sum.assign(0);
            inner.applyUpdater(g, iteration / config.k, epoch);
        }
    }
}
