package dev.kindling.core.layer;

import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The seed's whole {@code GPT} as one DL4J output layer, so that the LM head can share the token
 * embedding's parameter array (DL4J cannot tie weights across layers): token + learned position
 * embeddings, dropout, N pre-LN blocks ({@code x + attn(ln1(x))}, {@code x + ff(ln2(x))}, ff =
 * Linear(C, F), GELU, Dropout, Linear(F, C), Dropout), final LayerNorm, logits {@code x wte^T}, and the
 * mean token cross-entropy as the loss.
 *
 * <pre>
 * tensor     DL4J         seed (PyTorch)          note
 * input      [B, T]       idx (B, T)              token ids as floating point; T &lt;= context
 * labels     [B, T]       targets (B, T)          next-token ids
 * wte        [V, C]       tok_embed.weight        also the LM head: logits = x wte^T (tied)
 * wpe        [ctx, C]     pos_embed.weight        learned positions
 * h{i}*      [N, C]       blocks[i] (B, T, C)     N = B * T rows, (batch, time) order
 * lnf*       [N, C]       ln_final
 * output     [B, V, T]    softmax(logits) (B, T, V)   DL4J recurrent layout; the activations
 * score      scalar       F.cross_entropy         mean over B * T tokens, as the seed (see defineLayer)
 * </pre>
 *
 * Dropout: a DL4J SameDiff layer is not told whether it is training, so the graph holds two paths over
 * the same parameters. The loss (what backprop differentiates) goes through dropout; the probabilities
 * (what {@code output()} and evaluation read) do not. Sequence length is fixed by the first batch the
 * layer sees (DL4J fixes a SameDiff layer's placeholder shape except the batch axis); generation pads on
 * the right, which a causal model cannot see. Loss gradients do not pass through DL4J's external-errors
 * path, so unlike {@link LayerNorm} no halving is needed (the gradient check proves it).
 */
public final class GptLayer extends BackpropScoredOutputLayer {
    public static final String WTE = TransformerOps.WTE;
    public static final String WPE = TransformerOps.WPE;
    public static final double INIT_STD = 0.02;

    @JsonProperty private int vocab;
    @JsonProperty private int context;
    @JsonProperty private int layers;
    @JsonProperty private int heads;
    @JsonProperty private int width;
    @JsonProperty private int ffWidth;
    @JsonProperty private double dropout;
    /** Largest batch the training path sees (sizes the dropout masks). */
    @JsonProperty private int maxBatch;
    /** Whether attention is causal (GPT) or bidirectional. */
    @JsonProperty private boolean causal = true;

    /** For JSON. */
    public GptLayer() {
    }

    public GptLayer(int vocab, int context, int layers, int heads, int width, int ffWidth, double dropout, int maxBatch) {
        this.maxBatch = maxBatch;
        this.vocab = vocab;
        this.context = context;
        this.layers = layers;
        this.heads = heads;
        this.width = width;
        this.ffWidth = ffWidth;
        this.dropout = dropout;
    }

    public int getVocab() {
        return vocab;
    }

    public int getContext() {
        return context;
    }

    public double getDropout() {
        return dropout;
    }

    public int getLayers() {
        return layers;
    }

    public int getHeads() {
        return heads;
    }

    public int getWidth() {
        return width;
    }

    public int getFfWidth() {
        return ffWidth;
    }

    public boolean isCausal() {
        return causal;
    }

    /** Parameter key of block i's part, e.g. {@code h0attnqkv} (alphanumeric: DL4J joins vertex and key with '_'). */
    public static String key(int block, String part) {
        return "h" + block + part;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, SDVariable labels, Map<String, SDVariable> p) {
        int t = Math.toIntExact(input.getShape()[1]);
        SDVariable flat0 = TransformerOps.embed(sd, input, p, vocab, context, width);     // [N, C]

        SDVariable logitsEval = logits(sd, flat0, p, t, 0);                               // [N, V]
        SDVariable logitsTrain = dropout > 0 ? logits(sd, flat0, p, t, dropout) : logitsEval;

        SDVariable probs = sd.permute(sd.reshape(sd.nn.softmax(logitsEval, 1), -1L, t, vocab), 0, 2, 1); // [B, V, T]
        sd.updateVariableNameAndReference(probs, "probs");

        SDVariable target = sd.oneHot(sd.reshape(labels.castTo(DataType.INT), -1L), vocab, 1, 1.0, 0.0, input.dataType()); // [N, V]
        SDVariable nll = logSoftmax(sd, logitsTrain).mul(target).sum(1).neg();            // [N]
        // 0 * mean(input): DL4J asks for dL/d(input); token ids reach the graph only through an integer cast
        // DL4J's convention: the layer's loss is the sum over examples; DL4J divides the score and (in the
        // updater) the gradients by the batch size. Per example the mean over T, so the score is the seed's
        // F.cross_entropy, the mean over B * T tokens.
        SDVariable loss = nll.sum().div(t).add(input.mean().mul(0.0));
        markLoss(sd, loss);
        return loss;
    }

    /** log softmax over axis 1 of [N, V], shifted by the row max (M2.1's LogSoftMax op fails to configure in a graph). */
    static SDVariable logSoftmax(SameDiff sd, SDVariable z) {
        SDVariable shifted = z.sub(new StopGradient(sd, z.max(true, 1)).outputVariable()); // [N, V]
        return shifted.sub(sd.math().log(sd.math().exp(shifted).sum(true, 1)));            // [N, V]
    }

    /** Blocks, final LayerNorm and tied head: [N, C] embeddings to [N, V] logits. */
    private SDVariable logits(SameDiff sd, SDVariable x, Map<String, SDVariable> p, int t, double drop) {
        x = TransformerOps.body(sd, x, p, layers, t, heads, causal, drop, maxBatch, width, null, getMatmuls());
        return TransformerOps.matmul(sd, x, p.get(WTE), true, getMatmuls());                    // [N, C] x [V, C]^T
    }

    @Override
    public String activationsVertexName() {
        return "probs";
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.clear();
        TransformerOps.defineBody(params, vocab, context, layers, width, ffWidth);
    }

    /** The seed's {@code _init_weights}: N(0, 0.02) for Linear and Embedding weights, 0 biases; LayerNorm 1 and 0. */
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
        if (!(inputType instanceof InputType.InputTypeFeedForward ff)) {
            throw new IllegalStateException("GptLayer '" + getLayerName() + "': input type=" + inputType + ": must be token ids [B, T]");
        }
        return InputType.recurrent(vocab, ff.getSize());
    }
}
