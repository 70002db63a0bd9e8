package dev.kindling.core.optim;

import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * PyTorch's {@code SGD(momentum=mu, nesterov=...)}, dampening 0: {@code buf = mu*buf + g}, then
 * {@code p -= lr*buf}, or with Nesterov {@code p -= lr*(g + mu*buf)}. DL4J's {@code Nesterovs} uses a
 * different (Sutskever) parametrisation whose steps differ when the learning rate changes, so this is
 * PyTorch's rule exactly. {@code mu = 0} is plain SGD.
 */
public final class Momentum extends ScheduledUpdater {
    private static final long serialVersionUID = 1L;
    public static final String BUFFER = "buf";

    private double momentum;
    private boolean nesterov;

    /** For JSON. */
    public Momentum() {
    }

    /** @param momentum in [0, 1) */
    public Momentum(ISchedule lr, double momentum, boolean nesterov) {
        super(lr);
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum=" + momentum + ": must be in [0, 1)");
        }
        if (nesterov && momentum == 0) {
            throw new IllegalArgumentException("momentum=0: Nesterov momentum needs momentum > 0");
        }
        this.momentum = momentum;
        this.nesterov = nesterov;
    }

    public double momentum() {
        return momentum;
    }

    public boolean nesterov() {
        return nesterov;
    }

    @Override
    public long stateSize(long numParams) {
        return numParams;
    }

    @Override
    public GradientUpdater instantiate(INDArray viewArray, boolean initialize) {
        return new Updater(this, flat(viewArray, initialize));
    }

    @Override
    public GradientUpdater instantiate(Map<String, INDArray> state, boolean initialize) {
        return new Updater(this, flat(state.get(BUFFER), initialize));
    }

    @Override
    public Momentum clone() {
        Momentum m = new Momentum();
        m.setLrAndSchedule(learningRate, learningRateSchedule == null ? null : learningRateSchedule.clone());
        m.momentum = momentum;
        m.nesterov = nesterov;
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Momentum m && sameRate(m) && m.momentum == momentum && m.nesterov == nesterov;
    }

    @Override
    public int hashCode() {
        return Objects.hash(rateHash(), momentum, nesterov);
    }

    @Override
    public String toString() {
        return "Momentum(momentum=" + momentum + ", nesterov=" + nesterov + ", lr=" + schedule() + ")";
    }

    static final class Updater implements GradientUpdater<Momentum> {
        private final Momentum config;
        private INDArray buf;

        Updater(Momentum config, INDArray buf) {
            this.config = config;
            this.buf = buf;
        }

        @Override
        public Momentum getConfig() {
            return config;
        }

        @Override
        public void setState(Map<String, INDArray> state, boolean initialize) {
            buf = flat(state.get(BUFFER), initialize);
        }

        @Override
        public Map<String, INDArray> getState() {
            return Map.of(BUFFER, buf);
        }

        @Override
        public void setStateViewArray(INDArray viewArray, long[] gradientShape, char order, boolean initialize) {
            buf = flat(viewArray, initialize);
        }

        @Override
        public void applyUpdater(INDArray gradient, int iteration, int epoch) {
            double lr = config.getLearningRate(iteration, epoch);
            INDArray g = gradient.reshape(gradient.length());
            buf.muli(config.momentum).addi(g);                 // buf = mu*buf + g
            if (config.nesterov) {
                g.addi(buf.mul(config.momentum));              // g + mu*buf
            } else {
                g.assign(buf);
            }
            g.muli(lr);
        }
    }
}
