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
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.params.SimpleRnnParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * DL4J's {@link SimpleRnn} (same configuration keys, parameters W [nIn, H], RW [H, H], b [1, H], their
 * initialisation and JSON) computed as {@link BatchedLstm} computes the LSTM: on time-major slabs
 * ({@link StepSlabs}), one matrix product per step of W stacked on RW with x_s stacked on h_{s-1}, and
 * the matrix products' operands rounded to bf16 or fp16 under {@code --precision} ({@link HalfPrecisionMatmuls},
 * with fp16's loss scale applied to the backward it computes). DL4J's SimpleRnn computes the recurrence
 * inside itself, so neither {@link dev.kindling.core.precision.HalfPrecision}'s wrapper nor any rounding of
 * ours reaches h_{s-1} RW there.
 * <p>
 * h_s = tanh(x_s W + h_{s-1} RW + b), h_{-1} = 0. Masks as DL4J's SimpleRnn: the state runs on through
 * masked steps, their outputs are zero and their pre-activation gradient is dropped. Full sequences
 * only; tanh only, no layer norm (DL4J's layer for others).
 */
public final class BatchedSimpleRnn extends SimpleRnn implements HalfPrecisionMatmuls {
    private static final long serialVersionUID = 1L;

    /** What the matrix products' operands are rounded to: FLOAT, or BFLOAT16 / HALF under --precision=bf16 / fp16. */
    @org.nd4j.shade.jackson.annotation.JsonProperty
    private DataType matmuls = DataType.FLOAT;
    /** fp16's loss scale a fresh model starts at; 1: none ({@link LossScaled}). */
    @org.nd4j.shade.jackson.annotation.JsonProperty
    private double initialLossScale = 1.0;

    /** For JSON; DL4J's no-argument constructor is private, its builder's is not. */
    public BatchedSimpleRnn() {
        super(new SimpleRnn.Builder());
    }

    /** The batched twin of a built DL4J {@code SimpleRnn} configuration: every field copied. */
    public static BatchedSimpleRnn of(SimpleRnn rnn) {
        if (!(rnn.getActivationFn() instanceof ActivationTanH) || rnn.hasLayerNorm()) {
            throw new IllegalArgumentException("BatchedSimpleRnn: activation=" + rnn.getActivationFn() + ", layer norm="
                    + rnn.hasLayerNorm() + ": only tanh without layer norm; use DL4J's SimpleRnn for others");
        }
        return LayerWiring.copyFields(SimpleRnn.class, rnn, new BatchedSimpleRnn());
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
     * The forward pass's arrays, what backprop needs.
     *
     * @param weights [nIn+H, H]: W stacked on RW, as the products take them
     * @param inputs  [T+1, nIn+H, B]: slab s is x_s over h_{s-1} (h_{-1} = 0); slab T holds h_{T-1} (x rows 0)
     */
    private record Forward(INDArray weights, INDArray inputs) {
        long steps() {
            return inputs.size(0) - 1;
        }
    }

    /** The layer: DL4J's SimpleRnn with forward and backprop replaced. */
    static final class Impl extends org.deeplearning4j.nn.layers.recurrent.SimpleRnn implements LossScaled {
        private static final String W = SimpleRnnParamInitializer.WEIGHT_KEY;
        private static final String RW = SimpleRnnParamInitializer.RECURRENT_WEIGHT_KEY;
        private static final String B = SimpleRnnParamInitializer.BIAS_KEY;

        /** The last training-mode forward pass and its input, for the backprop that follows it. */
        private Forward cached;
        private INDArray cachedInput;
        private final LayerLossScale lossScale;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
            this.lossScale = new LayerLossScale(conf.getLayer().getLayerName(), ((BatchedSimpleRnn) conf.getLayer()).getInitialLossScale());
        }

        @Override
        public LayerLossScale lossScale() {
            return lossScale;
        }

        private RNNFormat format() {
            return layerConf().getRnnDataFormat();
        }

        private DataType matmuls() {
            return ((BatchedSimpleRnn) layerConf()).getMatmuls();
        }

        private Forward forward(boolean training, LayerWorkspaceMgr mgr, ArrayType memory) {
            long b = input.size(0);
            long t = steps(input, format());
            long nIn = features(input, format());
            long h = layerConf().getNOut();
            INDArray weights = stacked(getParamWithNoise(W, training, mgr), getParamWithNoise(RW, training, mgr), matmuls(), mgr, memory);
            INDArray bias = getParamWithNoise(B, training, mgr).reshape(h);

            INDArray inputs = mgr.create(memory, input.dataType(), new long[]{t + 1, nIn + h, b}, 'c');
            rows(inputs, 0, t, 0, nIn).assign(toSteps(input, format()));
            INDArray states = rows(inputs, 1, t + 1, nIn, nIn + h);                 // [T, H, B]: h_0 .. h_{T-1}
            Nd4j.exec(new BroadcastAddOp(states, bias, states, 1));               // every step starts from b
            for (long s = 0; s < t; s++) {
                INDArray hs = rows(inputs, s + 1, nIn, nIn + h);                   // [H, B]
                Gemm.gemm(weights, StepSlabs.operand(step(inputs, s), matmuls()), hs, true, false, 1.0, 1.0);  // += [W; RW]^T [x_s; h_{s-1}]
                tanh(hs, hs);
            }
            return new Forward(weights, inputs);
        }

        @Override
        public INDArray activate(INDArray input, boolean training, LayerWorkspaceMgr mgr) {
            setInput(input, mgr);
            return activate(training, mgr);
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
            assertInputSet(false);
            requireRank3(input, "BatchedSimpleRnn", layerConf().getLayerName());
            applyDropOutIfNecessary(training, mgr);
            // in training the pass is kept for backprop: in the activations workspace, which DL4J keeps
            // open until backprop is done
            Forward f = forward(training, mgr, training ? ArrayType.ACTIVATIONS : ArrayType.FF_WORKING_MEM);
            cached = training ? f : null;
            cachedInput = training ? input : null;
            long nIn = f.inputs().size(1) - layerConf().getNOut();
            INDArray hs = rows(f.inputs(), 1, f.steps() + 1, nIn, f.inputs().size(1));
            INDArray out = inLayerFormat(hs, format(), ArrayType.ACTIVATIONS, mgr);
            if (maskArray != null) {
                out.muli(broadcastMask(maskArray, out, format()));
            }
            return out;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
            assertInputSet(true);
            requireRank3(input, "BatchedSimpleRnn", layerConf().getLayerName());
            applyDropOutIfNecessary(true, mgr);
            ArrayType memory = ArrayType.BP_WORKING_MEM;
            Forward f = cached != null && cachedInput == input ? cached : forward(true, mgr, memory);
            cached = null;
            cachedInput = null;
            long t = f.steps();
            long h = layerConf().getNOut();
            long nIn = f.inputs().size(1) - h;
            long b = f.inputs().size(2);
            DataType type = input.dataType();
            double scale = lossScale.perExample(b);   // LossScaled: in, and out again below
            // [T, B]: step s's mask as a row that broadcasts over a [H, B] slab
            INDArray stepMask = maskArray == null ? null : maskArray.castTo(type).transpose().dup('c');

            // dInputs mirrors inputs: slab s is dL/dx_s over dL/dh_{s-1}; the h rows start as the output's
            // gradient and grow by the recurrence, the x rows start at 0 and take one product per step
            INDArray eps = maskArray == null ? epsilon : epsilon.mul(broadcastMask(maskArray, epsilon, format()));
            INDArray dInputs = mgr.create(memory, type, new long[]{t + 1, nIn + h, b}, 'c');
            INDArray dOut = rows(dInputs, 1, t + 1, nIn, nIn + h).assign(toSteps(eps, format()));
            if (scale != 1.0) {
                dOut.muli(scale);
            }
            INDArray dz = mgr.createUninitialized(memory, type, new long[]{t, h, b}, 'c');
            INDArray dWeights = mgr.create(memory, type, new long[]{nIn + h, h}, 'c');
            for (long s = t - 1; s >= 0; s--) {
                INDArray hs = rows(f.inputs(), s + 1, nIn, nIn + h);
                INDArray dzs = step(dz, s);
                hs.mul(hs, dzs).rsubi(1.0).muli(rows(dInputs, s + 1, nIn, nIn + h));   // dL/dz = dL/dh (1 - h^2)
                if (stepMask != null) {
                    Nd4j.exec(new BroadcastMulOp(dzs, stepMask.getRow(s), dzs, 1));
                }
                INDArray dzOp = StepSlabs.operand(dzs, matmuls());
                Gemm.gemm(f.weights(), dzOp, step(dInputs, s), false, false, 1.0, 1.0);  // [dx_s; dh_{s-1}] += [W; RW] dz
                Gemm.gemm(StepSlabs.operand(step(f.inputs(), s), matmuls()), dzOp, dWeights, false, true, 1.0, 1.0);  // += [x_s; h_{s-1}] dz^T
            }
            gradientViews.get(W).assign(dWeights.get(NDArrayIndex.interval(0, nIn), NDArrayIndex.all()));
            gradientViews.get(RW).assign(dWeights.get(NDArrayIndex.interval(nIn, nIn + h), NDArrayIndex.all()));
            gradientViews.get(B).assign(sumOverStepsAndExamples(dz).reshape(gradientViews.get(B).shape()));
            INDArray inputGradient = inLayerFormat(rows(dInputs, 0, t, 0, nIn), format(), ArrayType.ACTIVATION_GRAD, mgr);
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
            return fullSequencesOnly("BatchedSimpleRnn", layerConf().getLayerName(), what, "SimpleRnn");
        }
    }
}
