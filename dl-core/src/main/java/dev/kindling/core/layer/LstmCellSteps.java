package dev.kindling.core.layer;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The element-wise work of {@link BatchedLstm}'s time steps as Java loops over float arrays: forward, the gate
 * nonlinearities, the cell update and the output; backward, their derivatives. A step's slabs move between the
 * layer's native arrays and Java arrays in bulk (a memcpy each), and the arithmetic runs as short loops, each
 * indexing its arrays alike, which C2 vectorises, with tanh as {@link RationalTanh}. One loop per line of the
 * arithmetic on purpose: C2 does not vectorise the fused loop (the forward step of [128, 64] gates took 234 us
 * fused, 20 us split; the backward 21 us against 7).
 *
 * <p>Why: as ND4J operations a step is ~10 operations forward and ~17 backward, each a JNI call with op and shape
 * objects and native shape buffers for ND4J's deallocator threads: ~5,400 a training step of the seed's two-layer
 * bidirectional classifier. A profile of that step (async-profiler, 2026-12-05): the products 36%, the
 * element-wise operations ~20%, the deallocator threads 7% and the collector 5%.
 *
 * <p>Same arithmetic as the operations, in the same order, except tanh (within 4e-7 relative). Taken for float
 * arrays in host memory ({@link #take}); double (gradient checks, the twin tests) and a GPU's arrays keep the
 * operations, and {@code -Dkindling.lstm.javaSteps=false} sends float there too (the before of this class, for an A/B).
 *
 * <p>Layout ({@link BatchedLstm}'s): gates {@code [T, 4H, B]} with row blocks i, f, o, g, each step's block a
 * contiguous {@code H x B} run; cells {@code [T+1, H, B]}; tanhCells {@code [T, H, B]}; inputs and their gradient
 * {@code [T+1, nIn+H, B]}, step s+1's last H rows holding h_s (dL/dh_s).
 */
final class LstmCellSteps {
    public static final String PROPERTY = "kindling.lstm.javaSteps";
    /** The property's value; a test sets it to compare both paths in one JVM. */
    static volatile boolean enabled = Boolean.parseBoolean(System.getProperty(PROPERTY, "true"));

    /** Whether these loops take a pass over these arrays. */
    static boolean take(INDArray... arrays) {
        if (!enabled) {
            return false;
        }
        for (INDArray a : arrays) {
            if (!HostArrays.floatsTake(a)) {
                return false;
            }
        }
        return true;
    }

    /** a = sigmoid(2a) in place: (1 + tanh(a)) / 2, the gate's pre-activation having been halved. */
    private static void sigmoidOfHalved(float[] a) {
        for (int j = 0; j < a.length; j++) {
            a[j] = RationalTanh.of(a[j]) * 0.5f + 0.5f;
        }
    }

    /** out = tanh(in), element by element (may be the same array). */
    private static void tanh(float[] in, float[] out) {
        for (int j = 0; j < in.length; j++) {
            out[j] = RationalTanh.of(in[j]);
        }
    }

    /** Where step s's h_{s-1} (or its gradient) starts in an inputs-shaped [T+1, nIn+H, B] array. */
    private static int hRows(int s, int nIn, int h, int b) {
        return (s * (nIn + h) + nIn) * b;
    }

    /** What both passes read: the forward's gates, cells and tanh(cells), the sizes, and one step's four gate blocks. */
    private abstract static class Pass {
        final FloatBuffer gates;
        final FloatBuffer cells;
        final FloatBuffer tanhCells;
        final int nIn;
        final int h;
        final int b;
        /** H x B: one gate block of one step. */
        final int hb;
        final float[] i;
        final float[] f;
        final float[] o;
        final float[] g;

        Pass(INDArray gates, INDArray cells, INDArray tanhCells, long nIn, long h, long b) {
            this.gates = HostArrays.floats(gates);
            this.cells = HostArrays.floats(cells);
            this.tanhCells = HostArrays.floats(tanhCells);
            this.nIn = Math.toIntExact(nIn);
            this.h = Math.toIntExact(h);
            this.b = Math.toIntExact(b);
            this.hb = Math.toIntExact(h * b);
            i = block();
            f = block();
            o = block();
            g = block();
        }

        final float[] block() {
            return new float[hb];
        }

        /** Step s's gate blocks into i, f, o, g; returns where the step starts in gates. */
        final int readGates(int s) {
            int z = s * 4 * hb;
            gates.get(z, i).get(z + hb, f).get(z + 2 * hb, o).get(z + 3 * hb, g);
            return z;
        }
    }

    /** The forward pass: {@link #step} after each step's product has left the gates' pre-activations in {@code gates}. */
    static final class Forward extends Pass {
        private final FloatBuffer inputs;
        private float[] c;
        private float[] cPrevious;
        private final float[] tc;
        private final float[] out;

        /** Arrays as {@link BatchedLstm}'s forward pass makes them; cells[0] (c_{-1}) zero. */
        Forward(INDArray gates, INDArray cells, INDArray tanhCells, INDArray inputs, long nIn, long h, long b) {
            super(gates, cells, tanhCells, nIn, h, b);
            this.inputs = HostArrays.floats(inputs);
            c = block();
            cPrevious = block();
            tc = block();
            out = block();
        }

        /**
         * Step s: the gates' pre-activations (i, f, o halved: sigmoid(x) = (1 + tanh(x/2)) / 2, see BatchedLstm)
         * become the gates, then c_s = f c_{s-1} + i g, tanh(c_s), and h_s = o tanh(c_s) into step s+1's inputs.
         */
        void step(int s) {
            int z = readGates(s);
            sigmoidOfHalved(i);
            sigmoidOfHalved(f);
            sigmoidOfHalved(o);
            tanh(g, g);
            for (int j = 0; j < hb; j++) {
                c[j] = f[j] * cPrevious[j] + i[j] * g[j];
            }
            tanh(c, tc);
            for (int j = 0; j < hb; j++) {
                out[j] = o[j] * tc[j];
            }
            gates.put(z, i).put(z + hb, f).put(z + 2 * hb, o).put(z + 3 * hb, g);
            cells.put((s + 1) * hb, c);
            tanhCells.put(s * hb, tc);
            inputs.put(hRows(s + 1, nIn, h, b), out);
            float[] done = cPrevious;
            cPrevious = c;
            c = done;
        }
    }

    /**
     * Backprop: {@link #step} for s = T-1 down to 0, each before that step's products, with dL/dc carried from step
     * to step here.
     */
    static final class Backward extends Pass {
        private final FloatBuffer dInputs;
        private final FloatBuffer dGates;
        private final float[] cPrevious;
        private final float[] tc;
        private final float[] dh;
        private final float[] dc;
        private final float[] di;
        private final float[] df;
        private final float[] dO;
        private final float[] dg;

        /** The forward pass's gates, cells and tanhCells; dInputs holding dL/dh from the outputs; dGates written. */
        Backward(INDArray gates, INDArray cells, INDArray tanhCells, INDArray dInputs, INDArray dGates, long nIn, long h, long b) {
            super(gates, cells, tanhCells, nIn, h, b);
            this.dInputs = HostArrays.floats(dInputs);
            this.dGates = HostArrays.floats(dGates);
            cPrevious = block();
            tc = block();
            dh = block();
            dc = block();
            di = block();
            df = block();
            dO = block();
            dg = block();
        }

        /**
         * Step s: from dL/dh_s (step s+1's h rows of dInputs, the recurrence's share already added) and the carried
         * dL/dc_s, the gradients of the gates' pre-activations into dGates' step s, and dL/dc_{s-1} carried on.
         */
        void step(int s) {
            int z = readGates(s);
            cells.get(s * hb, cPrevious);
            tanhCells.get(s * hb, tc);
            dInputs.get(hRows(s + 1, nIn, h, b), dh);
            for (int j = 0; j < hb; j++) {
                dc[j] += (1.0f - tc[j] * tc[j]) * o[j] * dh[j];                   // dL/dc_s
            }
            for (int j = 0; j < hb; j++) {
                di[j] = dc[j] * g[j] * (i[j] * (1.0f - i[j]));                    // sigmoid' = s (1 - s)
            }
            for (int j = 0; j < hb; j++) {
                df[j] = dc[j] * cPrevious[j] * (f[j] * (1.0f - f[j]));
            }
            for (int j = 0; j < hb; j++) {
                dO[j] = dh[j] * tc[j] * (o[j] * (1.0f - o[j]));
            }
            for (int j = 0; j < hb; j++) {
                dg[j] = dc[j] * i[j] * (1.0f - g[j] * g[j]);                      // tanh' = 1 - g^2
            }
            for (int j = 0; j < hb; j++) {
                dc[j] *= f[j];                                                     // dL/dc_{s-1}
            }
            dGates.put(z, di).put(z + hb, df).put(z + 2 * hb, dO).put(z + 3 * hb, dg);
        }
    }

    private LstmCellSteps() {
    }
}
