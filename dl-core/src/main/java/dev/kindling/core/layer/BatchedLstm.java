package dev.kindling.core.layer;

import java.util.Arrays;
import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.params.LSTMParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.same.TimesOneMinus;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * DL4J's {@link LSTM} (same configuration keys, parameter shapes, initialisation and JSON) computed the
 * way cuDNN and PyTorch's CPU kernel do: the input projection of all time steps is one matrix product
 * before the loop, the weight gradients and the input gradient are one matrix product each after it,
 * and each time step does only the recurrent product and the gate arithmetic in place on preallocated
 * arrays. DL4J's own LSTM builds a dozen new arrays per step in Java and runs the forward pass twice per
 * training step; at the seed's sizes this layer (with {@link ReverseWithinMask}) makes the whole
 * training step 2.1x as fast, 2.6x per CPU-second (BENCHMARKS.md, SPEED WORK). Same function: outputs at masked steps are zeroed and their output
 * gradient dropped, as DL4J's LSTM does; the state runs on through masked steps.
 *
 * <pre>
 * param  shape        gate blocks (columns)
 * W      [nIn, 4H]    [i, f, o, g]: input, forget, output gate (sigmoid), candidate g (tanh)
 * RW     [H, 4H]      DL4J's LSTM orders them [g, f, o, i]; the forget block is the second in
 * b      [1, 4H]      both, so DL4J's forget-gate bias initialisation applies unchanged
 * </pre>
 * c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t), h_0 = c_0 = 0. Full sequences only:
 * {@code rnnTimeStep} and truncated BPTT fail with a message. Only DL4J's default activations (tanh,
 * sigmoid gates).
 */
public final class BatchedLstm extends LSTM implements HalfPrecisionMatmuls {
    private static final long serialVersionUID = 1L;

    /** What the matrix products' operands are rounded to: FLOAT, or BFLOAT16 under --precision=bf16. */
    @org.nd4j.shade.jackson.annotation.JsonProperty
    private DataType matmuls = DataType.FLOAT;

    /** For JSON. */
    public BatchedLstm() {
    }

    /** The batched twin of a built DL4J {@code LSTM} configuration: every field copied. */
    public static BatchedLstm of(LSTM lstm) {
        if (!(lstm.getActivationFn() instanceof ActivationTanH) || !(lstm.getGateActivationFn() instanceof ActivationSigmoid)) {
            throw new IllegalArgumentException("BatchedLstm: activation=" + lstm.getActivationFn() + ", gate activation="
                    + lstm.getGateActivationFn() + ": only tanh with sigmoid gates; use DL4J's LSTM for others");
        }
        return LayerWiring.copyFields(LSTM.class, lstm, new BatchedLstm());
    }

    @Override
    public void setMatmuls(DataType type) {
        this.matmuls = type;
    }

    @Override
    public DataType getMatmuls() {
        return matmuls;
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray paramsView, boolean initializeParams, DataType networkDataType) {
        return LayerWiring.wire(new Impl(conf, networkDataType), initializer(), conf, listeners, layerIndex, paramsView,
                initializeParams);
    }

    /** The forward pass's arrays, time-major: what backprop needs. */
    private record Forward(INDArray x, INDArray gates, INDArray cells, INDArray tanhCells, INDArray hidden) {
        // x [T*B, nIn] (row t*B + b); gates gate-major [4*T*B, H] after the nonlinearities (Gates); cells
        // [T+1, B, H] with cells[0] = c_0 = 0; tanhCells [T, B, H]; hidden [T+1, B, H] with hidden[0] = h_0 = 0
    }

    /**
     * Gate-major storage of the four gates of every time step: gate k of step s for example b is row
     * (k*T + s)*B + b of a [4*T*B, H] array, so each gate of each step is a contiguous [B, H] block.
     * In DL4J's [B, 4H] order a gate is a column block with a row stride of 4H, and libnd4j runs
     * element-wise ops on such views through its per-element index path: the products, nonlinearities
     * and derivatives of the gates took ~35% of the lstm-classifier step in perf (Multiply alone 19%).
     */
    private record Gates(long t, long b, long h) {
        static final int I = 0, F = 1, O = 2, G = 3;  // the W, RW and b column blocks' order

        /** Gate k of every step, [T*B, H]: the input projection's output for that gate. */
        INDArray all(INDArray gateMajor, int k) {
            return gateMajor.get(NDArrayIndex.interval(k * t * b, (k + 1) * t * b), NDArrayIndex.all());
        }

        /** Gate k of step s, [B, H]. */
        INDArray at(INDArray gateMajor, int k, long s) {
            long from = (k * t + s) * b;
            return gateMajor.get(NDArrayIndex.interval(from, from + b), NDArrayIndex.all());
        }

        /** Gate k's columns of a parameter or gradient with the four gates side by side ([n, 4H]). */
        INDArray columns(INDArray sideBySide, int k) {
            return sideBySide.get(NDArrayIndex.all(), NDArrayIndex.interval(k * h, (k + 1) * h));
        }
    }

    /** The layer: DL4J's LSTM with forward and backprop replaced. */
    static final class Impl extends org.deeplearning4j.nn.layers.recurrent.LSTM {
        private static final String W = LSTMParamInitializer.INPUT_WEIGHT_KEY;
        private static final String RW = LSTMParamInitializer.RECURRENT_WEIGHT_KEY;
        private static final String B = LSTMParamInitializer.BIAS_KEY;

        /** The last training-mode forward pass and its input, for the backprop that follows it. */
        private Forward cached;
        private INDArray cachedInput;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        private boolean nwc() {
            return layerConf().getRnnDataFormat() == RNNFormat.NWC;
        }

        /** Permutation from the layer's [B, C, T] (or [B, T, C]) to time-major [T, B, C]. */
        private int[] toTimeMajor() {
            return nwc() ? new int[]{1, 0, 2} : new int[]{2, 0, 1};
        }

        /** Permutation from time-major [T, B, C] back to the layer's format. */
        private int[] fromTimeMajor() {
            return nwc() ? new int[]{1, 0, 2} : new int[]{1, 2, 0};
        }

        private static INDArray step(INDArray timeMajor, long t) {
            return timeMajor.get(NDArrayIndex.point(t), NDArrayIndex.all(), NDArrayIndex.all());
        }

        /**
         * A matrix product's operand as the layer's precision takes it: rounded to bf16 (a copy) under
         * --precision=bf16, as {@link TransformerOps#matmul} rounds the transformers'; else itself.
         */
        private INDArray operand(INDArray a) {
            DataType half = ((BatchedLstm) layerConf()).getMatmuls();
            return half == DataType.FLOAT || half == a.dataType() ? a : a.castTo(half).castTo(a.dataType());
        }

        private Forward forward(boolean training, LayerWorkspaceMgr mgr, ArrayType memory) {
            long b = input.size(0);
            long t = input.size(nwc() ? 1 : 2);
            long nIn = input.size(nwc() ? 2 : 1);
            long h = layerConf().getNOut();
            Gates gates = new Gates(t, b, h);
            DataType type = input.dataType();
            INDArray w = getParamWithNoise(W, training, mgr);
            INDArray rw = getParamWithNoise(RW, training, mgr);
            INDArray bias = getParamWithNoise(B, training, mgr);

            INDArray x = mgr.dup(memory, input.permute(toTimeMajor()), 'c').reshape(t * b, nIn);
            INDArray z = mgr.create(memory, type, new long[]{4 * t * b, h}, 'c');  // zeroed: the products add into it
            INDArray xOp = operand(x);
            INDArray wOp = operand(w);
            INDArray rwOp = operand(rw);
            INDArray[] rwGate = new INDArray[4];
            for (int k = 0; k < 4; k++) {
                INDArray zk = gates.all(z, k);
                Nd4j.gemm(xOp, gates.columns(wOp, k), zk, false, false, 1.0, 0.0);  // every step's input projection
                zk.addiRowVector(gates.columns(bias.reshape(1, 4 * h), k));
                rwGate[k] = gates.columns(rwOp, k);
            }
            INDArray cells = mgr.create(memory, type, new long[]{t + 1, b, h}, 'c');
            INDArray tanhCells = mgr.createUninitialized(memory, type, new long[]{t, b, h}, 'c');
            INDArray hidden = mgr.create(memory, type, new long[]{t + 1, b, h}, 'c');
            INDArray scratch = mgr.createUninitialized(memory, type, new long[]{b, h}, 'c');
            for (long s = 0; s < t; s++) {
                INDArray hPrev = operand(step(hidden, s));
                INDArray[] a = new INDArray[4];
                for (int k = 0; k < 4; k++) {
                    a[k] = gates.at(z, k, s);
                    Nd4j.gemm(hPrev, rwGate[k], a[k], false, false, 1.0, 1.0);  // += h_{s-1} RW
                }
                for (int k : new int[]{Gates.I, Gates.F, Gates.O}) {
                    Nd4j.exec(new Sigmoid(a[k], a[k]));
                }
                INDArray g = a[Gates.G];
                Nd4j.exec(new Tanh(g, g));
                INDArray c = step(cells, s + 1);
                a[Gates.F].mul(step(cells, s), c);                          // f * c_{s-1}
                c.addi(a[Gates.I].mul(g, scratch));                         // + i * g
                INDArray tc = step(tanhCells, s);
                Nd4j.exec(new Tanh(c, tc));
                a[Gates.O].mul(tc, step(hidden, s + 1));                    // h = o * tanh(c)
            }
            return new Forward(x, z, cells, tanhCells, hidden);
        }

        /** [B, T] mask as a broadcastable [B, 1, T] (or [B, T, 1]) array. */
        private INDArray mask(INDArray like) {
            return maskArray.castTo(like.dataType()).reshape(nwc()
                    ? new long[]{like.size(0), like.size(1), 1} : new long[]{like.size(0), 1, like.size(2)});
        }

        @Override
        public INDArray activate(INDArray input, boolean training, LayerWorkspaceMgr mgr) {
            setInput(input, mgr);
            return activate(training, mgr);
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
            assertInputSet(false);
            checkRank();
            applyDropOutIfNecessary(training, mgr);
            // in training the pass is kept for backprop: in the activations workspace, which DL4J keeps
            // open until backprop is done
            Forward f = forward(training, mgr, training ? ArrayType.ACTIVATIONS : ArrayType.FF_WORKING_MEM);
            cached = training ? f : null;
            cachedInput = training ? input : null;
            long t = f.hidden().size(0) - 1;
            INDArray hs = f.hidden().get(NDArrayIndex.interval(1, t + 1), NDArrayIndex.all(), NDArrayIndex.all());
            INDArray out = mgr.dup(ArrayType.ACTIVATIONS, hs.permute(fromTimeMajor()), 'c');
            if (maskArray != null) {
                out.muli(mask(out));
            }
            return out;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
            assertInputSet(true);
            checkRank();
            applyDropOutIfNecessary(true, mgr);
            ArrayType memory = ArrayType.BP_WORKING_MEM;
            Forward f = cached != null && cachedInput == input ? cached : forward(true, mgr, memory);
            cached = null;
            cachedInput = null;
            long t = f.tanhCells().size(0);
            long b = f.tanhCells().size(1);
            long h = layerConf().getNOut();
            Gates gates = new Gates(t, b, h);
            DataType type = input.dataType();
            INDArray w = operand(getParamWithNoise(W, true, mgr));
            INDArray rw = operand(getParamWithNoise(RW, true, mgr));
            INDArray[] rwGate = new INDArray[4];
            for (int k = 0; k < 4; k++) {
                rwGate[k] = gates.columns(rw, k);
            }

            INDArray eps = maskArray == null ? epsilon : epsilon.mul(mask(epsilon));
            INDArray dh = mgr.dup(memory, eps.permute(toTimeMajor()), 'c');  // [T, B, H]: dL/dh_s, grows by the recurrence
            INDArray dz = mgr.createUninitialized(memory, type, new long[]{4 * t * b, h}, 'c');  // gate-major, as the gates
            INDArray dc = mgr.create(memory, type, new long[]{b, h}, 'c');     // dL/dc_s carried back
            INDArray scratch = mgr.createUninitialized(memory, type, new long[]{b, h}, 'c');
            for (long s = t - 1; s >= 0; s--) {
                INDArray i = gates.at(f.gates(), Gates.I, s), fg = gates.at(f.gates(), Gates.F, s);
                INDArray o = gates.at(f.gates(), Gates.O, s), g = gates.at(f.gates(), Gates.G, s);
                INDArray tc = step(f.tanhCells(), s);
                INDArray dhs = step(dh, s);
                INDArray di = gates.at(dz, Gates.I, s), df = gates.at(dz, Gates.F, s);
                INDArray dO = gates.at(dz, Gates.O, s), dg = gates.at(dz, Gates.G, s);
                dhs.mul(tc, dO);                                            // dL/do
                tc.mul(tc, scratch).rsubi(1.0).muli(o).muli(dhs);           // dh * o * (1 - tanh^2 c)
                dc.addi(scratch);                                           // dL/dc_s
                dc.mul(g, di);                                              // dL/di
                dc.mul(i, dg);                                              // dL/dg
                dc.mul(step(f.cells(), s), df);                             // dL/df
                dc.muli(fg);                                                // dL/dc_{s-1}
                for (INDArray[] gate : new INDArray[][]{{i, di}, {fg, df}, {o, dO}}) {
                    Nd4j.exec(new TimesOneMinus(gate[0], scratch));        // sigmoid' = s (1 - s)
                    gate[1].muli(scratch);
                }
                g.mul(g, scratch).rsubi(1.0);                                // tanh' = 1 - g^2
                dg.muli(scratch);
                if (s > 0) {
                    INDArray dhPrev = step(dh, s - 1);
                    for (int k = 0; k < 4; k++) {                           // dL/dh_{s-1} += dz RW^T
                        Nd4j.gemm(operand(gates.at(dz, k, s)), rwGate[k], dhPrev, false, true, 1.0, 1.0);
                    }
                }
            }
            INDArray hPrev = operand(f.hidden().get(NDArrayIndex.interval(0, t), NDArrayIndex.all(), NDArrayIndex.all())
                    .reshape(t * b, h));
            INDArray x = operand(f.x());
            // column sums as a product with a row of ones: libnd4j's sum along axis 0 walks one strided
            // column at a time (4.4 ms for [3200, 512] on one thread, the product 0.1 ms; TransformerOps.perRow)
            INDArray ones = Nd4j.ones(type, 1, t * b);
            INDArray biasGradient = gradientViews.get(B).reshape(1, 4 * h);  // a view: DL4J's may be rank 1
            INDArray dx = mgr.create(memory, type, new long[]{t * b, input.size(nwc() ? 2 : 1)}, 'c');
            for (int k = 0; k < 4; k++) {
                INDArray dzk = operand(gates.all(dz, k));
                Nd4j.gemm(x, dzk, gates.columns(gradientViews.get(W), k), true, false, 1.0, 0.0);
                Nd4j.gemm(hPrev, dzk, gates.columns(gradientViews.get(RW), k), true, false, 1.0, 0.0);
                Nd4j.gemm(ones, gates.all(dz, k), gates.columns(biasGradient, k), false, false, 1.0, 0.0);
                Nd4j.gemm(dzk, gates.columns(w, k), dx, false, true, 1.0, 1.0);
            }
            INDArray inputGradient = mgr.dup(ArrayType.ACTIVATION_GRAD,
                    dx.reshape(t, b, input.size(nwc() ? 2 : 1)).permute(fromTimeMajor()), 'c');

            Gradient gradient = new DefaultGradient();
            gradient.gradientForVariable().put(W, gradientViews.get(W));
            gradient.gradientForVariable().put(RW, gradientViews.get(RW));
            gradient.gradientForVariable().put(B, gradientViews.get(B));
            weightNoiseParams.clear();
            return new Pair<>(gradient, backpropDropOutIfPresent(inputGradient));
        }

        private void checkRank() {
            if (input.rank() != 3) {
                throw new IllegalStateException("BatchedLstm '" + layerConf().getLayerName() + "': input shape "
                        + Arrays.toString(input.shape()) + ": must be rank 3 [batch, features, time]");
            }
        }

        @Override
        public Pair<Gradient, INDArray> tbpttBackpropGradient(INDArray epsilon, int length, LayerWorkspaceMgr mgr) {
            throw unsupported("truncated BPTT");
        }

        @Override
        public INDArray rnnTimeStep(INDArray input, LayerWorkspaceMgr mgr) {
            throw unsupported("rnnTimeStep");
        }

        @Override
        public INDArray rnnActivateUsingStoredState(INDArray input, boolean training, boolean storeLast,
                                                    LayerWorkspaceMgr mgr) {
            throw unsupported("stored-state activation");
        }

        private UnsupportedOperationException unsupported(String what) {
            return new UnsupportedOperationException("BatchedLstm '" + layerConf().getLayerName() + "': " + what
                    + " is not supported (full sequences only); build the model with DL4J's LSTM for it");
        }
    }
}
