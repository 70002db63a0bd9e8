package dev.kindling.core.layer;

import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Layer normalization over the feature axis, exactly PyTorch's {@code nn.LayerNorm(size)}:
 * {@code y = gain * (x - mean) / sqrt(var + eps) + bias}, with the biased variance and eps 1e-5.
 * DL4J has no standalone LayerNorm layer (only {@code DenseLayer.hasLayerNorm}, which has no bias
 * and sits before the activation inside Dense), so the seed's Linear-LayerNorm-ReLU needs this one.
 *
 * <pre>
 * tensor   DL4J     seed (PyTorch)  note
 * input    [B, n]   x (B, n)        InputType.feedForward(n)
 * gain     [1, n]   weight (n)      init 1; a weight param (gets weight regularization)
 * bias     [1, n]   bias (n)        init 0; a bias param (gets bias regularization)
 * output   [B, n]   (B, n)
 * </pre>
 *
 * The no-arg constructor exists for JSON (model saving, Spark); {@code size} is then taken from the
 * input type.
 */
public final class LayerNorm extends SameDiffLayer {
    /** PyTorch's default. */
    public static final double DEFAULT_EPS = 1e-5;
    public static final String GAIN = "g";
    public static final String BIAS = "b";

    @JsonProperty private int size;
    @JsonProperty private double eps = DEFAULT_EPS;

    /** For JSON; the size comes from the input type when the graph is built. */
    public LayerNorm() {
    }

    /** @param size feature count n (&gt; 0) */
    public LayerNorm(int size) {
        this(size, DEFAULT_EPS);
    }

    /**
     * @param size feature count n (&gt; 0)
     * @param eps  added to the variance (&gt; 0)
     */
    public LayerNorm(int size, double eps) {
        if (size <= 0) {
            throw new IllegalArgumentException("size=" + size + ": must be > 0");
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("eps=" + eps + ": must be > 0");
        }
        this.size = size;
        this.eps = eps;
    }

    public int getSize() {
        return size;
    }

    public double getEps() {
        return eps;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        SDVariable mean = x.mean(true, 1);                             // [B, 1]
        SDVariable centered = x.sub(mean);                             // [B, n]
        SDVariable var = centered.mul(centered).mean(true, 1);         // [B, 1] biased
        SDVariable std = sd.math().sqrt(var.add(eps));                 // [B, 1]
        SDVariable y = centered.div(std).mul(params.get(GAIN)).add(params.get(BIAS)); // [B, n]
        return halveGradient(sd, y);
    }

    /**
     * Identity forward ({@code y/2 + y/2} is exact), half the gradient backward. DL4J 1.0.0-M2.1's
     * SameDiff layers receive twice the true output gradient: {@code ExternalErrorsFunction.doDiff}
     * registers the external-error placeholder as the output's gradient and returns it, and
     * {@code DifferentialFunction.diff} then adds the returned value to that already-registered
     * gradient. Every parameter and input gradient of every SameDiffLayer is therefore doubled
     * (measured: dL/db of a plain {@code x + b} layer is 2x the hand value). The gradient check in
     * the tests fails if a DL4J upgrade fixes this, so the compensation cannot silently go stale.
     */
    static SDVariable halveGradient(SameDiff sd, SDVariable y) {
        SDVariable half = y.mul(0.5);
        SDVariable held = new StopGradient(sd, half).outputVariable();
        return half.add(held);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.clear();
        params.addWeightParam(GAIN, 1, size);
        params.addBiasParam(BIAS, 1, size);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        params.get(GAIN).assign(1.0);
        params.get(BIAS).assign(0.0);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        long n = featureCount(inputType);
        if (size == 0 || override) {
            size = Math.toIntExact(n);
        }
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        long n = featureCount(inputType);
        if (size != 0 && n != size) {
            throw new IllegalStateException("LayerNorm '" + getLayerName() + "': input size=" + n
                    + " differs from layer size=" + size);
        }
        return InputType.feedForward(n);
    }

    private long featureCount(InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeFeedForward ff)) {
            throw new IllegalStateException("LayerNorm '" + getLayerName() + "': input type=" + inputType
                    + ": must be feed-forward [B, n]; hint: add a preprocessor or use InputType.feedForward");
        }
        return ff.getSize();
    }
}
