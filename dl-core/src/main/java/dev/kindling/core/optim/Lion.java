package dev.kindling.core.optim;

import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"):
 * {@code c = b1*m + (1-b1)*g; p -= lr*sign(c); m = b2*m + (1-b2)*g}. The step uses only the sign of
 * the interpolated momentum; one state vector. Decoupled weight decay ({@code p -= lr*wd*p}) comes
 * from DL4J's {@code WeightDecay(wd, applyLR=true)}, applied after this rule. The seed's table:
 * lr 3e-5, wd 1.0; the paper's betas (0.9, 0.99).
 */
public final class Lion extends ScheduledUpdater {
    private static final long serialVersionUID = 1L;
    public static final String M = "m";
    public static final double BETA1 = 0.9;
    public static final double BETA2 = 0.99;

    private double beta1 = BETA1;
    private double beta2 = BETA2;

    /** For JSON. */
    public Lion() {
    }

    public Lion(ISchedule lr, double beta1, double beta2) {
        super(lr);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("beta1=" + beta1 + ", beta2=" + beta2 + ": each must be in [0, 1)");
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
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
        return new Updater(this, flat(state.get(M), initialize));
    }

    @Override
    public Lion clone() {
        Lion l = new Lion();
        l.setLrAndSchedule(learningRate, learningRateSchedule == null ? null : learningRateSchedule.clone());
        l.beta1 = beta1;
        l.beta2 = beta2;
        return l;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Lion l && sameRate(l) && l.beta1 == beta1 && l.beta2 == beta2;
    }

    @Override
    public int hashCode() {
        return Objects.hash(rateHash(), beta1, beta2);
    }

    @Override
    public String toString() {
        return "Lion(beta1=" + beta1 + ", beta2=" + beta2 + ", lr=" + schedule() + ")";
    }

    static final class Updater implements GradientUpdater<Lion> {
        private final Lion config;
        private INDArray m;

        Updater(Lion config, INDArray m) {
            this.config = config;
            this.m = m;
        }

        @Override
        public Lion getConfig() {
            return config;
        }

        @Override
        public void setState(Map<String, INDArray> state, boolean initialize) {
            m = flat(state.get(M), initialize);
        }

        @Override
        public Map<String, INDArray> getState() {
            return Map.of(M, m);
        }

        @Override
        public void setStateViewArray(INDArray viewArray, long[] gradientShape, char order, boolean initialize) {
            m = flat(viewArray, initialize);
        }

        @Override
        public void applyUpdater(INDArray gradient, int iteration, int epoch) {
            double lr = config.getLearningRate(iteration, epoch);
            INDArray g = gradient.reshape(gradient.length());
            INDArray c = m.mul(config.beta1).addi(g.mul(1 - config.beta1));  // interpolated momentum
            m.muli(config.beta2).addi(g.mul(1 - config.beta2));
            g.assign(Transforms.sign(c, false)).muli(lr);
        }
    }
}
