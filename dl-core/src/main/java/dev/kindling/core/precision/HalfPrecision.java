package dev.kindling.core.precision;

import java.util.Collection;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Runs the wrapped layer (a dense or convolution layer) in half precision, the way PyTorch's autocast
 * runs a matmul or convolution: its fp32 input and fp32 master parameters are cast to
 * {@link #getCompute()} for the forward and backward passes of the linear part, its outputs, input
 * gradients and parameter gradients are cast back to fp32. The layer's activation function runs in
 * fp32 on the cast-back pre-activation (libnd4j M2.1 has no bfloat16 {@code relu_bp}). The network, its parameters, the gradient the updater
 * sees and the updater state stay fp32.
 *
 * <p>With a loss scale {@code S > 1} (fp16) the backward pass of the wrapped layer runs on the incoming
 * gradient multiplied by {@code S / B}, so that small gradients do not flush to zero in fp16, and the
 * fp32 gradients it produces are divided by it again. ({@code B} is the minibatch size: DL4J's
 * gradients are of the summed loss, PyTorch scales the mean loss; with {@code S / B} the values in
 * fp16 are exactly those of PyTorch's {@code GradScaler}, so its default scale 2^16 carries over.) outside these layers every value is unscaled,
 * so gradient clipping, the updater and the fp32 layers never see the scale. {@link LossScaling} moves
 * {@code S} at run time; the value here is where a fresh model starts.
 */
public class HalfPrecision extends BaseWrapperLayer {
    private static final long serialVersionUID = 1L;

    private DataType compute = DataType.HALF;
    private double initialLossScale = 1.0;

    /** For JSON. */
    protected HalfPrecision() {
    }

    /**
     * @param compute          HALF or BFLOAT16
     * @param initialLossScale the fp16 loss scale a fresh model starts with (1 = none)
     */
    public HalfPrecision(@JsonProperty("underlying") Layer underlying, @JsonProperty("compute") DataType compute,
                         @JsonProperty("initialLossScale") double initialLossScale) {
        super(underlying);
        if (compute != DataType.HALF && compute != DataType.BFLOAT16) {
            throw new IllegalArgumentException("compute=" + compute + ": must be HALF or BFLOAT16");
        }
        if (!(initialLossScale > 0) || Double.isInfinite(initialLossScale)) {
            throw new IllegalArgumentException("initialLossScale=" + initialLossScale + ": must be finite and > 0");
        }
        this.compute = compute;
        this.initialLossScale = initialLossScale;
        this.layerName = underlying.getLayerName();
    }

    public DataType getCompute() {
        return compute;
    }

    public double getInitialLossScale() {
        return initialLossScale;
    }

    @Override
    public HalfPrecision clone() {
        HalfPrecision c = (HalfPrecision) super.clone();
        c.underlying = underlying.clone();
        return c;
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners,
                                                       int layerIndex, INDArray paramsView, boolean initializeParams,
                                                       DataType networkDataType) {
        NeuralNetConfiguration masterConf = conf.clone();
        masterConf.setLayer(((HalfPrecision) masterConf.getLayer()).getUnderlying());
        org.deeplearning4j.nn.api.Layer master = masterConf.getLayer().instantiate(masterConf, listeners, layerIndex, paramsView,
                initializeParams, networkDataType);
        NeuralNetConfiguration shadowConf = conf.clone();
        shadowConf.setLayer(((HalfPrecision) shadowConf.getLayer()).getUnderlying().clone());
        IActivation activation = ((BaseLayer) masterConf.getLayer()).getActivationFn();
        ((BaseLayer) shadowConf.getLayer()).setActivationFn(new ActivationIdentity()); // applied in fp32 by the wrapper
        DataType arithmetic = nativeKernels() ? compute : networkDataType;
        long n = paramsView == null ? 0 : paramsView.length();
        INDArray shadowParams = n == 0 ? null : detached(arithmetic, n);
        org.deeplearning4j.nn.api.Layer shadow = shadowConf.getLayer().instantiate(shadowConf, List.of(), layerIndex, shadowParams,
                false, arithmetic);
        return new HalfPrecisionLayer(master, shadow, shadowParams, compute, arithmetic, activation, initialLossScale);
    }

    /**
     * Whether the shadow layer runs ND4J's own half-precision kernels: on a GPU backend, yes. On the CPU
     * backend libnd4j M2.1 has no fp16/bf16 BLAS (its generic half gemm ran the MLP ~35x slower than
     * fp32 here), so there the values are stored in half precision (every input, weight, output and
     * gradient of the layer is rounded to it) and the arithmetic between roundings is fp32, which is
     * what x86 CPUs without AVX512-FP16 do for fp16 in any library and what tensor cores do inside a
     * matmul (fp16 operands, fp32 accumulation). {@code -Dkindling.half.native=true} forces the native
     * kernels on the CPU.
     */
    public static boolean nativeKernels() {
        return !Nd4j.getEnvironment().isCPU() || Boolean.getBoolean("kindling.half.native");
    }

    /** A [1, n] array outside every workspace (it lives as long as the layer). */
    static INDArray detached(DataType type, long n) {
        try (var ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return Nd4j.create(type, 1, n);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HalfPrecision h && super.equals(o) && h.compute == compute && h.initialLossScale == initialLossScale;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(super.hashCode(), compute, initialLossScale);
    }

    @Override
    public String toString() {
        return "HalfPrecision(" + compute + ", " + underlying + ")";
    }
}
