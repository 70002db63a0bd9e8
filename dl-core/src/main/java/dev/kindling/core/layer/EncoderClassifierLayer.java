package dev.kindling.core.layer;

import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The seed's BERT-style column as one DL4J output layer: token + learned position embeddings, dropout,
 * N bidirectional pre-LN blocks ({@link TransformerOps#block}, no causal mask) whose attention ignores
 * padding keys, final LayerNorm, a masked mean over the real positions as the pooled representation,
 * and a Linear(C, K) classification head with softmax cross-entropy.
 *
 * <pre>
 * tensor     DL4J        note
 * input      [B, T]      token ids; id 0 is padding (the mask is ids != 0)
 * labels     [B, K]      one-hot
 * keyBias    [B,1,1,T]   0 for real keys, -1e9 for padding, added to every head's scores
 * pooled     [B, C]      sum over real positions / their count
 * output     [B, K]      softmax probabilities (the activations)
 * score      scalar      mean cross-entropy per example (the layer sums; DL4J divides by B)
 * </pre>
 * Dropout acts on the loss path only, as in {@link GptLayer}.
 */
public final class EncoderClassifierLayer extends BackpropScoredOutputLayer {
    public static final String WTE = TransformerOps.WTE;
    public static final String WPE = TransformerOps.WPE;
    public static final int PAD = 0;

    @JsonProperty private int vocab;
    @JsonProperty private int context;
    @JsonProperty private int layers;
    @JsonProperty private int heads;
    @JsonProperty private int width;
    @JsonProperty private int ffWidth;
    @JsonProperty private int classes;
    @JsonProperty private double dropout;
    @JsonProperty private int maxBatch;

    /** For JSON. */
    public EncoderClassifierLayer() {
    }

    public EncoderClassifierLayer(int vocab, int context, int layers, int heads, int width, int ffWidth, int classes, double dropout,
                                  int maxBatch) {
        this.vocab = vocab;
        this.context = context;
        this.layers = layers;
        this.heads = heads;
        this.width = width;
        this.ffWidth = ffWidth;
        this.classes = classes;
        this.dropout = dropout;
        this.maxBatch = maxBatch;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, SDVariable labels, Map<String, SDVariable> p) {
        int t = Math.toIntExact(input.getShape()[1]);
        SDVariable x0 = TransformerOps.embed(sd, input, p, vocab, context, width);        // [N, C]
        SDVariable real = sd.neq(input.castTo(DataType.INT), PAD).castTo(input.dataType()); // [B, T] 1 = token, 0 = padding
        SDVariable keyBias = sd.reshape(real.sub(1.0).mul(-TransformerOps.MASKED), -1L, 1, 1, t); // [B, 1, 1, T]

        SDVariable logitsEval = logits(sd, x0, p, t, 0, keyBias, real);                   // [B, K]
        SDVariable logitsTrain = dropout > 0 ? logits(sd, x0, p, t, dropout, keyBias, real) : logitsEval;
        SDVariable probs = sd.nn.softmax(logitsEval, 1);
        sd.updateVariableNameAndReference(probs, "probs");
        SDVariable nll = GptLayer.logSoftmax(sd, logitsTrain).mul(labels).sum(1).neg();   // [B]
        SDVariable loss = nll.sum().add(input.mean().mul(0.0)); // DL4J asks for dL/d(input): ids reach the graph as integers
        markLoss(sd, loss);
        return loss;
    }

    private SDVariable logits(SameDiff sd, SDVariable x, Map<String, SDVariable> p, int t, double drop, SDVariable keyBias, SDVariable real) {
        x = TransformerOps.body(sd, x, p, layers, t, heads, false, drop, maxBatch, width, keyBias, getMatmuls()); // [N, C]
        SDVariable h = sd.reshape(x, -1L, t, width);                                      // [B, T, C]
        SDVariable m = sd.reshape(real, -1L, t, 1);                                       // [B, T, 1]
        SDVariable pooled = h.mul(m).sum(1).div(real.sum(true, 1));                       // [B, C] / [B, 1]
        return TransformerOps.matmul(sd, pooled, p.get("headw"), false, getMatmuls()).add(p.get("headb")); // [B, K]
    }

    @Override
    public String activationsVertexName() {
        return "probs";
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.clear();
        TransformerOps.defineBody(params, vocab, context, layers, width, ffWidth);
        params.addWeightParam("headw", width, classes);
        params.addBiasParam("headb", 1, classes);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        TransformerOps.initialize(params);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        // sizes come from the constructor
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.feedForward(classes);
    }
}
