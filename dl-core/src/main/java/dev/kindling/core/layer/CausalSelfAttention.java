package dev.kindling.core.layer;

import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The seed's {@code MultiHeadAttention} as a DL4J layer: one fused QKV projection without bias, scaled
 * dot product over h heads, optional causal mask, output projection without bias
 * ({@link TransformerOps#attention}). Weights start at N(0, 0.02) as in the seed's {@code _init_weights}.
 *
 * <pre>
 * tensor   DL4J        seed (PyTorch)        note
 * input    [B, C, T]   x (B, T, C)           DL4J recurrent layout is NCW
 * qkv      [C, 3C]     qkv.weight (3C, C)    y = x W, PyTorch stores W transposed
 * scores   [B, h, T, T]                      softmax(Q K^T / sqrt(d)), d = C / h
 * proj     [C, C]      proj.weight (C, C)
 * output   [B, C, T]   (B, T, C)
 * </pre>
 *
 * No attention dropout here: a DL4J {@code SameDiffLayer} cannot tell training from inference, so a
 * dropout op would also fire at inference. {@link GptLayer} applies the seed's dropout on its training
 * path only. The no-arg constructor exists for JSON (model saving, Spark).
 */
public final class CausalSelfAttention extends SameDiffLayer {
    public static final String QKV = "qkv";
    public static final String PROJ = "proj";
    /** The seed's init: N(0, 0.02). */
    public static final double INIT_STD = 0.02;

    @JsonProperty private int size;
    @JsonProperty private int heads;
    @JsonProperty private boolean causal;

    /** For JSON. */
    public CausalSelfAttention() {
    }

    /**
     * @param size   model width C (&gt; 0, divisible by heads)
     * @param heads  head count h (&gt; 0)
     * @param causal whether position t sees only positions &lt;= t
     */
    public CausalSelfAttention(int size, int heads, boolean causal) {
        if (heads <= 0 || size <= 0 || size % heads != 0) {
            throw new IllegalArgumentException("size=" + size + ", heads=" + heads + ": both must be > 0 and heads must divide size");
        }
        this.size = size;
        this.heads = heads;
        this.causal = causal;
    }

    public int getSize() {
        return size;
    }

    public int getHeads() {
        return heads;
    }

    public boolean isCausal() {
        return causal;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        int t = Math.toIntExact(x.getShape()[2]);
        SDVariable flat = sd.reshape(sd.permute(x, 0, 2, 1), -1L, size);                  // [B, T, C] -> [N, C]
        SDVariable y = TransformerOps.attention(sd, flat, params.get(QKV), params.get(PROJ), t, heads, causal, 0, 0, null, DataType.FLOAT); // [N, C]
        SDVariable out = sd.permute(sd.reshape(y, -1L, t, size), 0, 2, 1);                 // [B, T, C] -> [B, C, T]
        return LayerNorm.halveGradient(sd, out);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.clear();
        params.addWeightParam(QKV, size, 3L * size);
        params.addWeightParam(PROJ, size, size);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        for (INDArray p : params.values()) {
            p.assign(Nd4j.randn(p.dataType(), p.shape()).muli(INIT_STD));
        }
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        long n = channels(inputType);
        if (size == 0 || override) {
            size = Math.toIntExact(n);
        }
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        long n = channels(inputType);
        if (size != 0 && n != size) {
            throw new IllegalStateException("CausalSelfAttention '" + getLayerName() + "': input size=" + n + " differs from layer size=" + size);
        }
        return inputType;
    }

    private long channels(InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeRecurrent r)) {
            throw new IllegalStateException("CausalSelfAttention '" + getLayerName() + "': input type=" + inputType
                    + ": must be recurrent [B, C, T]");
        }
        return r.getSize();
    }
}
