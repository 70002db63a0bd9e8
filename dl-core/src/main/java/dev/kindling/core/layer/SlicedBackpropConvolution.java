package dev.kindling.core.layer;

import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.ConvolutionHelper;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * DL4J's {@link ConvolutionLayer} (same configuration, parameters and JSON keys) whose backward pass is
 * libnd4j's {@code conv2d_bp} on slices of at most {@link #SLICE} examples. DL4J M2.1's oneDNN helper
 * fails every backward call of a layer without bias (it hands libnd4j a null bias), and DL4J then runs
 * {@code conv2d_bp} on the whole minibatch, for which oneDNN 2.3 chooses Winograd kernels on AVX-512:
 * 124 ms (weights) and 120 ms (data) for SmallCNN's 128-to-128 layer at 14x14 and 64 examples, against
 * 16 ms for the same layer's forward pass (DNNL_VERBOSE). For 32 examples its choices take 8.7 ms
 * (direct, weights) and 8.6 ms (Winograd, data). The input gradient is the slices' side by side and the
 * weight and bias gradients their sums, so the result is the whole batch's up to the order of float
 * additions (tested against DL4J's layer). The forward pass stays DL4J's helper's; other formats and
 * types go to DL4J's paths unchanged.
 */
public final class SlicedBackpropConvolution extends ConvolutionLayer {
    private static final long serialVersionUID = 1L;

    /** The largest slice: measured on SmallCNN's layers (a whole batch of 64 takes 8x as long). */
    public static final int SLICE = 32;

    /** For JSON. */
    public SlicedBackpropConvolution() {
    }

    /** The twin of a built DL4J {@code ConvolutionLayer} configuration: every field copied. */
    public static SlicedBackpropConvolution of(ConvolutionLayer conv) {
        if (conv.getClass() != ConvolutionLayer.class) {
            throw new IllegalArgumentException("SlicedBackpropConvolution: " + conv.getClass().getSimpleName()
                    + " is not DL4J's plain ConvolutionLayer");
        }
        return LayerWiring.copyFields(ConvolutionLayer.class, conv, new SlicedBackpropConvolution());
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray paramsView, boolean initializeParams, DataType networkDataType) {
        return LayerWiring.wire(new Impl(conf, networkDataType), initializer(), conf, listeners, layerIndex, paramsView,
                initializeParams);
    }

    /**
     * DL4J's layer with its oneDNN helper, when it has one, wrapped in {@link Sliced}. Its backprop skips
     * DL4J's second forward pass when the activation is the identity: DL4J recomputes the layer's
     * pre-activation in backprop for the activation's derivative, which the identity does not need
     * (SmallCNN's convolutions: BatchNorm and ReLU follow as their own layers), ~10% of a SmallCNN step.
     */
    static final class Impl extends org.deeplearning4j.nn.layers.convolution.ConvolutionLayer {
        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
            if (helper != null) {
                helper = new Sliced(helper);
            }
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
            ConvolutionLayer c = layerConf();
            if (!(helper instanceof Sliced sliced) || !(c.getActivationFn() instanceof ActivationIdentity)
                    || c.getCnn2dDataFormat() != CNN2DFormat.NCHW || input.dataType() != DataType.FLOAT
                    || epsilon.dataType() != DataType.FLOAT || epsilon.rank() != 4) {
                return super.backpropGradient(epsilon, mgr);
            }
            assertInputSet(true);
            INDArray weights = getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, true, mgr);
            INDArray bias = c.hasBias() ? getParamWithNoise(ConvolutionParamInitializer.BIAS_KEY, true, mgr) : null;
            Pair<Gradient, INDArray> ret = sliced.backpropGradient(input, weights, bias, epsilon, c.getKernelSize(), c.getStride(),
                    c.getPadding(), gradientViews.get(ConvolutionParamInitializer.BIAS_KEY),
                    gradientViews.get(ConvolutionParamInitializer.WEIGHT_KEY), c.getActivationFn(), c.getCudnnAlgoMode(),
                    c.getCudnnBwdFilterAlgo(), c.getCudnnBwdDataAlgo(), convolutionMode, c.getDilation(), CNN2DFormat.NCHW, mgr);
            weightNoiseParams.clear();
            ret.setSecond(backpropDropOutIfPresent(ret.getSecond()));
            return ret;
        }
    }

    /** A convolution helper: DL4J's forward pass, and the backward pass of float NCHW batches in slices. */
    public static final class Sliced implements ConvolutionHelper {
        private final ConvolutionHelper dl4j;

        Sliced(ConvolutionHelper dl4j) {
            this.dl4j = dl4j;
        }

        /** The helper DL4J chose (oneDNN's on CPU). */
        public ConvolutionHelper dl4j() {
            return dl4j;
        }

        @Override
        public boolean checkSupported() {
            return dl4j.checkSupported();
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray weights, INDArray bias, INDArray delta,
                                                         int[] kernel, int[] strides, int[] pad, INDArray biasGradView,
                                                         INDArray weightGradView, IActivation afn,
                                                         ConvolutionLayer.AlgoMode mode, ConvolutionLayer.BwdFilterAlgo bwdFilterAlgo,
                                                         ConvolutionLayer.BwdDataAlgo bwdDataAlgo, ConvolutionMode convolutionMode,
                                                         int[] dilation, CNN2DFormat format, LayerWorkspaceMgr mgr) {
            if (format != CNN2DFormat.NCHW || input.dataType() != DataType.FLOAT) {
                return dl4j.backpropGradient(input, weights, bias, delta, kernel, strides, pad, biasGradView, weightGradView,
                        afn, mode, bwdFilterAlgo, bwdDataAlgo, convolutionMode, dilation, format, mgr);
            }
            boolean same = convolutionMode == ConvolutionMode.Same;
            int[] padding = !same ? pad : ConvolutionUtils.getSameModeTopLeftPadding(
                    new int[] {(int) delta.size(2), (int) delta.size(3)}, new int[] {(int) input.size(2), (int) input.size(3)},
                    kernel, strides, dilation);
            long n = input.size(0);
            INDArray inputGradient = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, input.dataType(), input.shape(), 'c');
            INDArray weightSlice = n <= SLICE ? null
                    : mgr.createUninitialized(ArrayType.BP_WORKING_MEM, weightGradView.dataType(), weightGradView.shape(), 'c');
            INDArray biasSlice = n <= SLICE || bias == null ? null
                    : mgr.createUninitialized(ArrayType.BP_WORKING_MEM, biasGradView.dataType(), biasGradView.shape(), 'c');
            for (long from = 0; from < n; from += SLICE) {
                boolean first = from == 0;
                INDArrayIndex[] rows = examples(from, Math.min(n, from + SLICE));
                DynamicCustomOp.DynamicCustomOpsBuilder op = DynamicCustomOp.builder("conv2d_bp")
                        .addIntegerArguments(kernel[0], kernel[1], strides[0], strides[1], padding[0], padding[1],
                                dilation[0], dilation[1], same ? 1 : 0, 0 /* NCHW */, 1 /* weights [oC, iC, kH, kW] */);
                if (bias == null) {
                    op.addInputs(input.get(rows), weights, delta.get(rows))
                            .addOutputs(inputGradient.get(rows), first ? weightGradView : weightSlice);
                } else {
                    op.addInputs(input.get(rows), weights, bias.reshape(bias.length()), delta.get(rows))
                            .addOutputs(inputGradient.get(rows), first ? weightGradView : weightSlice,
                                    (first ? biasGradView : biasSlice).reshape(biasGradView.length()));
                }
                Nd4j.exec(op.build());
                if (!first) {
                    weightGradView.addi(weightSlice);
                    if (bias != null) {
                        biasGradView.addi(biasSlice);
                    }
                }
            }
            Gradient g = new DefaultGradient();
            if (bias != null) {
                g.gradientForVariable().put(ConvolutionParamInitializer.BIAS_KEY, biasGradView);
            }
            g.gradientForVariable().put(ConvolutionParamInitializer.WEIGHT_KEY, weightGradView);
            return new Pair<>(g, inputGradient);
        }

        /** Examples [from, to) of a rank-4 array. */
        private static INDArrayIndex[] examples(long from, long to) {
            return new INDArrayIndex[] {NDArrayIndex.interval(from, to), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all()};
        }

        @Override
        public INDArray preOutput(INDArray input, INDArray weights, INDArray bias, int[] kernel, int[] strides, int[] pad,
                                  ConvolutionLayer.AlgoMode mode, ConvolutionLayer.FwdAlgo fwdAlgo, ConvolutionMode convolutionMode,
                                  int[] dilation, CNN2DFormat format, LayerWorkspaceMgr mgr) {
            return dl4j.preOutput(input, weights, bias, kernel, strides, pad, mode, fwdAlgo, convolutionMode, dilation, format, mgr);
        }

        @Override
        public INDArray activate(INDArray z, IActivation afn, boolean training) {
            return dl4j.activate(z, afn, training);
        }

        @Override
        public Map<String, Long> helperMemoryUse() {
            return dl4j.helperMemoryUse();
        }
    }
}
