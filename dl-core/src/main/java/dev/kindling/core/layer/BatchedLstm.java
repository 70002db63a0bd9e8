package dev.kindling.core.layer;

import static dev.kindling.core.layer.StepSlabs.broadcastMask;
import static dev.kindling.core.layer.StepSlabs.features;
import static dev.kindling.core.layer.StepSlabs.fullSequencesOnly;
import static dev.kindling.core.layer.StepSlabs.inLayerFormat;
import static dev.kindling.core.layer.StepSlabs.requireRank3;
import static dev.kindling.core.layer.StepSlabs.rows;
import static dev.kindling.core.layer.StepSlabs.stacked;
import static dev.kindling.core.layer.StepSlabs.step;
import static dev.kindling.core.layer.StepSlabs.steps;
import static dev.kindling.core.layer.StepSlabs.sumOverStepsAndExamples;
import static dev.kindling.core.layer.StepSlabs.tanh;
import static dev.kindling.core.layer.StepSlabs.toSteps;

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
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.transforms.same.TimesOneMinus;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * DL4J's {@link LSTM} (same configuration keys, parameter shapes, initialisation and JSON) computed on
 * preallocated arrays laid out for the per-step work: each time step is one matrix product of W stacked on
 * RW with x_s stacked on h_{s-1}, giving all four gates as contiguous row blocks (the {@link Forward}
 * layout), then the gate arithmetic in place (Java loops over float arrays, {@link LstmCellSteps}); backprop takes
 * dx_s and dh_{s-1} from one product per step and accumulates the weight gradient with another. DL4J's own LSTM builds a dozen new arrays per step
 * in Java and runs the forward pass twice per training step; at the seed's sizes this layer (with
 * {@link ReverseWithinMask}) makes the lstm-classifier step ~3x as fast per CPU-second (1.05 -> 3.25 steps/CPU-s,
 * docs/speed-work.md).
 * Same function: outputs at masked steps are zeroed and their output gradient dropped, as DL4J's LSTM
 * does; the state runs on through masked steps.
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

    /** What the matrix products' operands are rounded to: FLOAT, or BFLOAT16 / HALF under --precision=bf16 / fp16. */
    @org.nd4j.shade.jackson.annotation.JsonProperty
    private DataType matmuls = DataType.FLOAT;
    /** fp16's loss scale a fresh model starts at; 1: none ({@link LossScaled}). */
    @org.nd4j.shade.jackson.annotation.JsonProperty
    private double initialLossScale = 1.0;

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
    public void setInitialLossScale(double scale) {
        this.initialLossScale = HalfPrecisionMatmuls.checkedLossScale(getLayerName(), scale);
    }

    @Override
    public double getInitialLossScale() {
        return initialLossScale;
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray paramsView, boolean initializeParams, DataType networkDataType) {
        return LayerWiring.wire(new Impl(conf, networkDataType), initializer(), conf, listeners, layerIndex, paramsView,
                initializeParams);
    }

    /**
     * The forward pass's arrays, what backprop needs. Every array is time-major and feature-major: a time
     * step is one contiguous [features, B] slab, and each gate of a step a contiguous [H, B] row block.
     * In DL4J's [B, 4H] order a gate is a column block with a row stride of 4H, and libnd4j runs
     * element-wise ops on such views through its per-element index path (the gates' products,
     * nonlinearities and derivatives took ~35% of the lstm-classifier step in perf, Multiply alone 19%).
     *
     * @param weights [nIn+H, 4H]: W stacked on RW, so one product per step takes x_s and h_{s-1} together
     * @param inputs  [T+1, nIn+H, B]: slab s is x_s over h_{s-1} (h_{-1} = 0); slab T holds h_{T-1} (x rows 0)
     * @param gates   [T, 4H, B] after the nonlinearities, row blocks i, f, o, g
     * @param cells   [T+1, H, B], cells[0] = c_{-1} = 0
     * @param tanhCells [T, H, B]
     */
    private record Forward(INDArray weights, INDArray inputs, INDArray gates, INDArray cells, INDArray tanhCells) {
    }

    /** The layer: DL4J's LSTM with forward and backprop replaced. */
    static final class Impl extends org.deeplearning4j.nn.layers.recurrent.LSTM implements LossScaled {
        private static final String W = LSTMParamInitializer.INPUT_WEIGHT_KEY;
        private static final String RW = LSTMParamInitializer.RECURRENT_WEIGHT_KEY;
        private static final String B = LSTMParamInitializer.BIAS_KEY;

        /** The last training-mode forward pass and its input, for the backprop that follows it. */
        private Forward cached;
        private INDArray cachedInput;
        private final LayerLossScale lossScale;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
            this.lossScale = new LayerLossScale(conf.getLayer().getLayerName(), ((BatchedLstm) conf.getLayer()).getInitialLossScale());
        }

        @Override
        public LayerLossScale lossScale() {
            return lossScale;
        }

        private RNNFormat format() {
            return layerConf().getRnnDataFormat();
        }

        private INDArray operand(INDArray a) {
            return StepSlabs.operand(a, ((BatchedLstm) layerConf()).getMatmuls());
        }

        /** W stacked on RW, [nIn+H, 4H], each as the matrix products take it. */
        private INDArray stackedWeights(boolean training, LayerWorkspaceMgr mgr, ArrayType memory) {
            return stacked(getParamWithNoise(W, training, mgr), getParamWithNoise(RW, training, mgr),
                    ((BatchedLstm) layerConf()).getMatmuls(), mgr, memory);
        }

        private Forward forward(boolean training, LayerWorkspaceMgr mgr, ArrayType memory) {
            long b = input.size(0);
            long t = steps(input, format());
            long nIn = features(input, format());
            long h = layerConf().getNOut();
            DataType type = input.dataType();
            INDArray weights = stackedWeights(training, mgr, memory);
            // sigmoid(x) = (1 + tanh(x / 2)) / 2: the gate pre-activations come out of the product halved
            // (i, f, o columns of the weights and bias halved: exact in floating point), one tanh covers
            // all four gates, and the sigmoid gates take a multiply and an add after it
            INDArray halved = mgr.dup(memory, weights, 'c');
            halved.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 3 * h)).muli(0.5);
            INDArray bias = getParamWithNoise(B, training, mgr).reshape(4 * h).dup();
            bias.get(NDArrayIndex.interval(0, 3 * h)).muli(0.5);

            INDArray inputs = mgr.create(memory, type, new long[]{t + 1, nIn + h, b}, 'c');
            rows(inputs, 0, t, 0, nIn).assign(toSteps(input, format()));
            INDArray gates = mgr.create(memory, type, new long[]{t, 4 * h, b}, 'c');
            Nd4j.exec(new BroadcastAddOp(gates, bias, gates, 1));            // every step starts from b
            INDArray cells = mgr.create(memory, type, new long[]{t + 1, h, b}, 'c');
            INDArray tanhCells = mgr.createUninitialized(memory, type, new long[]{t, h, b}, 'c');
            LstmCellSteps.Forward loops = LstmCellSteps.take(gates, cells, tanhCells, inputs)
                    ? new LstmCellSteps.Forward(gates, cells, tanhCells, inputs, nIn, h, b) : null;
            INDArray scratch = loops != null ? null : mgr.createUninitialized(memory, type, new long[]{h, b}, 'c');
            for (long s = 0; s < t; s++) {
                Gemm.gemm(halved, operand(step(inputs, s)), step(gates, s), true, false, 1.0, 1.0);  // += [W; RW]^T [x_s; h_{s-1}]
                if (loops != null) {
                    loops.step((int) s);
                } else {
                    cellStep(s, h, nIn, inputs, gates, cells, tanhCells, scratch);
                }
            }
            return new Forward(weights, inputs, gates, cells, tanhCells);
        }

        /** {@link LstmCellSteps.Forward#step} as ND4J operations, for arrays it does not take. */
        private static void cellStep(long s, long h, long nIn, INDArray inputs, INDArray gates, INDArray cells,
                                     INDArray tanhCells, INDArray scratch) {
            INDArray a = step(gates, s);                                         // [4H, B]
            tanh(a, a);
            rows(gates, s, 0, 3 * h).muli(0.5).addi(0.5);                       // i, f, o = sigmoid
            INDArray g = rows(gates, s, 3 * h, 4 * h);
            INDArray c = step(cells, s + 1);
            rows(gates, s, h, 2 * h).mul(step(cells, s), c);                      // f * c_{s-1}
            c.addi(rows(gates, s, 0, h).mul(g, scratch));                         // + i * g
            INDArray tc = step(tanhCells, s);
            tanh(c, tc);
            rows(gates, s, 2 * h, 3 * h).mul(tc, rows(inputs, s + 1, nIn, nIn + h));  // h_s = o * tanh(c)
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
            long t = f.tanhCells().size(0);
            long nIn = f.inputs().size(1) - layerConf().getNOut();
            INDArray hs = rows(f.inputs(), 1, t + 1, nIn, f.inputs().size(1));
            INDArray out = inLayerFormat(hs, format(), ArrayType.ACTIVATIONS, mgr);
            if (maskArray != null) {
                out.muli(broadcastMask(maskArray, out, format()));
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
            long b = f.tanhCells().size(2);
            long h = layerConf().getNOut();
            long nIn = f.inputs().size(1) - h;
            DataType type = input.dataType();
            double scale = lossScale.perExample(b);   // LossScaled: in, and out again below

            // dInputs mirrors inputs: slab s is dL/dx_s over dL/dh_{s-1}; the h rows start as the output's
            // gradient and grow by the recurrence, the x rows start at 0 and take one product per step
            INDArray eps = maskArray == null ? epsilon : epsilon.mul(broadcastMask(maskArray, epsilon, format()));
            INDArray dInputs = mgr.create(memory, type, new long[]{t + 1, nIn + h, b}, 'c');
            INDArray dOut = rows(dInputs, 1, t + 1, nIn, nIn + h).assign(toSteps(eps, format()));
            if (scale != 1.0) {
                dOut.muli(scale);
            }
            INDArray dGates = mgr.createUninitialized(memory, type, new long[]{t, 4 * h, b}, 'c');
            INDArray dWeights = mgr.create(memory, type, new long[]{nIn + h, 4 * h}, 'c');
            LstmCellSteps.Backward loops = LstmCellSteps.take(f.gates(), f.cells(), f.tanhCells(), dInputs, dGates)
                    ? new LstmCellSteps.Backward(f.gates(), f.cells(), f.tanhCells(), dInputs, dGates, nIn, h, b) : null;
            INDArray dc = loops != null ? null : mgr.create(memory, type, new long[]{h, b}, 'c');  // dL/dc_s carried back
            INDArray scratch = loops != null ? null : mgr.createUninitialized(memory, type, new long[]{3 * h, b}, 'c');
            for (long s = t - 1; s >= 0; s--) {
                if (loops != null) {
                    loops.step((int) s);
                } else {
                    cellGradientStep(s, h, nIn, f, dInputs, dGates, dc, scratch);
                }
                INDArray d = step(dGates, s);
                INDArray dOp = operand(d);
                Gemm.gemm(f.weights(), dOp, step(dInputs, s), false, false, 1.0, 1.0);  // [dx_s; dh_{s-1}] += [W; RW] dz
                Gemm.gemm(operand(step(f.inputs(), s)), dOp, dWeights, false, true, 1.0, 1.0);  // += [x_s; h_{s-1}] dz^T
            }
            gradientViews.get(W).assign(dWeights.get(NDArrayIndex.interval(0, nIn), NDArrayIndex.all()));
            gradientViews.get(RW).assign(dWeights.get(NDArrayIndex.interval(nIn, nIn + h), NDArrayIndex.all()));
            gradientViews.get(B).assign(sumOverStepsAndExamples(dGates).reshape(gradientViews.get(B).shape()));
            INDArray dx = rows(dInputs, 0, t, 0, nIn);
            INDArray inputGradient = inLayerFormat(dx, format(), ArrayType.ACTIVATION_GRAD, mgr);
            if (scale != 1.0) {
                gradientViews.values().forEach(g -> g.divi(scale));
                inputGradient.divi(scale);
            }

            Gradient gradient = new DefaultGradient();
            gradient.gradientForVariable().put(W, gradientViews.get(W));
            gradient.gradientForVariable().put(RW, gradientViews.get(RW));
            gradient.gradientForVariable().put(B, gradientViews.get(B));
            weightNoiseParams.clear();
            return new Pair<>(gradient, backpropDropOutIfPresent(inputGradient));
        }

        /**
         * {@link LstmCellSteps.Backward#step} as ND4J operations, for arrays it does not take: dL/dc in {@code dc},
         * {@code scratch} [3H, B].
         */
        private static void cellGradientStep(long s, long h, long nIn, Forward f, INDArray dInputs, INDArray dGates,
                                             INDArray dc, INDArray scratch) {
            INDArray tanhScratch = scratch.get(NDArrayIndex.interval(0, h), NDArrayIndex.all());
            INDArray i = rows(f.gates(), s, 0, h), fg = rows(f.gates(), s, h, 2 * h);
            INDArray o = rows(f.gates(), s, 2 * h, 3 * h), g = rows(f.gates(), s, 3 * h, 4 * h);
            INDArray tc = step(f.tanhCells(), s);
            INDArray dhs = rows(dInputs, s + 1, nIn, nIn + h);
            INDArray di = rows(dGates, s, 0, h), df = rows(dGates, s, h, 2 * h);
            INDArray dO = rows(dGates, s, 2 * h, 3 * h), dg = rows(dGates, s, 3 * h, 4 * h);
            dhs.mul(tc, dO);                                            // dL/do
            tc.mul(tc, tanhScratch).rsubi(1.0).muli(o).muli(dhs);       // dh * o * (1 - tanh^2 c)
            dc.addi(tanhScratch);                                       // dL/dc_s
            dc.mul(g, di);                                              // dL/di
            dc.mul(i, dg);                                              // dL/dg
            dc.mul(step(f.cells(), s), df);                             // dL/df
            dc.muli(fg);                                                // dL/dc_{s-1}
            Nd4j.exec(new TimesOneMinus(rows(f.gates(), s, 0, 3 * h), scratch));  // sigmoid' = s (1 - s)
            rows(dGates, s, 0, 3 * h).muli(scratch);
            g.mul(g, tanhScratch).rsubi(1.0);                            // tanh' = 1 - g^2
            dg.muli(tanhScratch);
        }

        private void checkRank() {
            requireRank3(input, "BatchedLstm", layerConf().getLayerName());
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
            return fullSequencesOnly("BatchedLstm", layerConf().getLayerName(), what, "LSTM");
        }
    }
}
