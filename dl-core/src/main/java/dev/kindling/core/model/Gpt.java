package dev.kindling.core.model;

import dev.kindling.core.layer.GptLayer;
import dev.kindling.core.optim.NetDefaults;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;

/**
 * GPT-style decoder: token + learned position embeddings, dropout, N pre-LN blocks with causal
 * multi-head attention, final LayerNorm, LM head tied to the token embedding; the whole body is one
 * {@link GptLayer} (DL4J cannot tie weights across layers). Seed: "The Architecture That Powers Modern
 * AI", class GPT.
 *
 * <pre>
 * vertex     DL4J        seed (PyTorch)     note
 * tokens     [B, T]      idx (B, T)         token ids, T &lt;= context
 * gpt        [B, V, T]   logits (B, T, V)   softmax probabilities; DL4J recurrent layout is NCW
 *   labels   [B, T]      targets (B, T)     next-token ids; loss = mean token cross-entropy
 * </pre>
 * Parameters: V*C (tied) + ctx*C + L*(12 C^2 ... ) exactly as PyTorch counts them (see the test).
 */
public final class Gpt {
    public static final String INPUT = "tokens";
    public static final String OUTPUT = "gpt";
    /** The seed's {@code AdamW(lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)} and dropout 0.1 for the GPT. */
    public static final double BETA1 = 0.9, BETA2 = 0.95, LR = 3e-4, WEIGHT_DECAY = 0.1, DROPOUT = 0.1;

    /**
     * @param vocabSize V (>= 2)
     * @param context   maximum sequence length, rows of the position table (>= 1)
     * @param layers    blocks (>= 1)
     * @param heads     attention heads (>= 1, divides width)
     * @param width     model width C
     * @param ffWidth   feed-forward width F (>= 1)
     * @param dropout   in [0, 1)
     */
    public record Spec(int vocabSize, int context, int layers, int heads, int width, int ffWidth, double dropout) {
        public Spec {
            if (vocabSize < 2) {
                throw new IllegalArgumentException("vocabSize=" + vocabSize + ": must be >= 2");
            }
            if (context < 1 || layers < 1 || ffWidth < 1) {
                throw new IllegalArgumentException("context=" + context + ", layers=" + layers + ", ffWidth=" + ffWidth + ": must be >= 1");
            }
            if (heads < 1 || width < 1 || width % heads != 0) {
                throw new IllegalArgumentException("width=" + width + ", heads=" + heads + ": heads must divide width");
            }
            if (dropout < 0 || dropout >= 1) {
                throw new IllegalArgumentException("dropout=" + dropout + ": must be in [0, 1)");
            }
        }

        /** The seed's GPT: d_model 256, 8 heads, 6 layers, d_ff 1024, max_seq_len 512, dropout 0.1. */
        public static Spec tutorial(int vocabSize) {
            return new Spec(vocabSize, 512, 6, 8, 256, 1024, 0.1);
        }

        /** Small enough for a double-precision gradient check. */
        public static Spec tiny() {
            return new Spec(7, 6, 2, 2, 4, 8, 0.0);
        }

        /** PyTorch's parameter count (the head shares the token embedding). */
        public long parameterCount() {
            long c = width;
            long block = 2 * 2 * c + 3 * c * c + c * c + c * ffWidth + ffWidth + ffWidth * c + c;
            return (long) vocabSize * c + (long) context * c + layers * block + 2 * c;
        }
    }

    /** The graph for batches of at most {@code maxBatch} sequences of length {@code seqLen} (<= context). */
    public static ComputationGraphConfiguration configure(Spec spec, int seqLen, int maxBatch, NetDefaults defaults) {
        if (seqLen < 1 || seqLen > spec.context()) {
            throw new IllegalArgumentException("seqLen=" + seqLen + ": must be in [1, context=" + spec.context() + "]");
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch=" + maxBatch + ": must be >= 1");
        }
        return defaults.finish(defaults.builder().graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.feedForward(seqLen))
                .addLayer(OUTPUT, new GptLayer(spec.vocabSize(), spec.context(), spec.layers(), spec.heads(), spec.width(),
                        spec.ffWidth(), spec.dropout(), maxBatch), INPUT)
                .setOutputs(OUTPUT)
                .build());
    }

    private Gpt() {}
}
