package dev.kindling.core.optim;

import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Muon (K. Jordan et al. 2024) for one 2-D weight matrix: Nesterov momentum
 * ({@code buf = mu*buf + g; u = g + mu*buf}), then the quintic Newton-Schulz iteration that maps
 * {@code u} to the nearest semi-orthogonal matrix ({@code (a, b, c) = (3.4445, -4.7750, 2.0315)}, 5
 * steps, on {@code u / (||u||_F + 1e-7)}), scaled by {@code sqrt(max(1, out/in))}; the step is
 * {@code lr} times that. Decoupled weight decay comes from DL4J's {@code WeightDecay}.
 *
 * <p>DL4J hands an updater a flat block of parameters, so each hidden weight matrix gets its own Muon
 * instance that knows its shape ({@code nIn x nOut}, DL4J's {@code 'f'}-ordered {@code W}) and name
 * (distinct instances keep DL4J from merging two matrices into one block); see
 * {@link OptimizerSpec#finish}. Every other parameter (biases, norms, embeddings, the output layer,
 * convolutions) falls back to AdamW, as in the reference implementation.
 */
public final class Muon extends ScheduledUpdater {
    private static final long serialVersionUID = 1L;
    public static final String BUFFER = "buf";
    public static final double A = 3.4445, B = -4.7750, C = 2.0315;
    public static final int NS_STEPS = 5;
    public static final double MOMENTUM = 0.95;

    private double momentum = MOMENTUM;
    private boolean nesterov = true;
    private long nIn;
    private long nOut;
    private String param;

    /** For JSON. */
    public Muon() {
    }

    /** A template without a shape: {@link #forMatrix} makes the per-matrix updaters. */
    public Muon(ISchedule lr, double momentum) {
        super(lr);
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum=" + momentum + ": must be in [0, 1)");
        }
        this.momentum = momentum;
    }

    /** This Muon for the {@code nIn x nOut} weight named {@code param}. */
    public Muon forMatrix(String param, long nIn, long nOut) {
        Muon m = clone();
        m.param = Objects.requireNonNull(param, "param");
        m.nIn = nIn;
        m.nOut = nOut;
        return m;
    }

    public double momentum() {
        return momentum;
    }

    public String param() {
        return param;
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
    public Muon clone() {
        Muon m = new Muon();
        m.setLrAndSchedule(learningRate, learningRateSchedule == null ? null : learningRateSchedule.clone());
        m.momentum = momentum;
        m.nesterov = nesterov;
        m.nIn = nIn;
        m.nOut = nOut;
        m.param = param;
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Muon m && sameRate(m) && m.momentum == momentum && m.nesterov == nesterov && m.nIn == nIn
                && m.nOut == nOut && Objects.equals(m.param, param);
    }

    @Override
    public int hashCode() {
        return Objects.hash(rateHash(), momentum, nesterov, nIn, nOut, param);
    }

    @Override
    public String toString() {
        return "Muon(" + param + " " + nIn + "x" + nOut + ", momentum=" + momentum + ", lr=" + schedule() + ")";
    }

    /** The quintic Newton-Schulz orthogonalisation of {@code g} (any 2-D shape), as Muon computes it. */
    public static INDArray newtonSchulz(INDArray g, int steps) {
        boolean tall = g.rows() > g.columns();
        INDArray x = tall ? g.transpose().dup() : g.dup();
        x.divi(x.norm2Number().doubleValue() + 1e-7);
        for (int i = 0; i < steps; i++) {
            INDArray a = x.mmul(x.transpose());                 // (r, r)
            INDArray b = a.mul(B).addi(a.mmul(a).muli(C));      // b*A + c*A@A
            x = x.mul(A).addi(b.mmul(x));                       // a*X + B@X
        }
        return tall ? x.transpose().dup() : x;
    }

    static final class Updater implements GradientUpdater<Muon> {
        private final Muon config;
        private INDArray buf;

        Updater(Muon config, INDArray buf) {
            this.config = config;
            this.buf = buf;
        }

        @Override
        public Muon getConfig() {
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
            INDArray g = gradient.reshape(gradient.length());
            if (config.nIn * config.nOut != g.length()) {
                throw new IllegalStateException("Muon for " + config.param + " (" + config.nIn + "x" + config.nOut + ") got a block of "
                        + g.length() + " parameters; a Muon updater must cover exactly one weight matrix");
            }
            double lr = config.getLearningRate(iteration, epoch);
            buf.muli(config.momentum).addi(g);                                  // buf = mu*buf + g
            INDArray u = config.nesterov ? g.add(buf.mul(config.momentum)) : buf.dup();
            INDArray w = u.reshape('f', new long[] {config.nIn, config.nOut});               // DL4J's W layout (nIn, nOut)
            INDArray o = newtonSchulz(w, NS_STEPS);
            double scale = Math.sqrt(Math.max(1.0, (double) config.nOut / config.nIn)); // PyTorch weight is (out, in)
            g.assign(o.reshape('f', new long[] {g.length()})).muli(lr * scale);
        }
    }
}
