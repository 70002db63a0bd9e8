package dev.kindling.core.model;

import dev.kindling.core.layer.EncoderClassifierLayer;
import dev.kindling.core.optim.NetDefaults;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;

/**
 * BERT-style encoder classifier, the seed's bidirectional column: embeddings, N pre-LN blocks without
 * a causal mask and with padding masks, masked mean pooling, Linear classification head; one
 * {@link EncoderClassifierLayer}. Seed: "The Architecture That Powers Modern AI" (its distilbert
 * fine-tuning needs a hub download, which cannot run here; this trains from scratch on a generated task).
 *
 * <pre>
 * vertex     DL4J      note
 * tokens     [B, T]    token ids, 0 = padding
 * encoder    [B, K]    class probabilities
 * </pre>
 */
public final class EncoderClassifier {
    public static final String INPUT = "tokens";
    public static final String OUTPUT = "encoder";

    /** Topology: as {@link Gpt.Spec} plus the class count K (>= 2). */
    public record Spec(int vocabSize, int context, int layers, int heads, int width, int ffWidth, int classes, double dropout) {
        public Spec {
            new Gpt.Spec(vocabSize, context, layers, heads, width, ffWidth, dropout); // the same checks
            if (classes < 2) {
                throw new IllegalArgumentException("classes=" + classes + ": must be >= 2");
            }
        }

        /** Small enough for a double-precision gradient check. */
        public static Spec tiny() {
            return new Spec(7, 6, 1, 2, 4, 8, 3, 0.0);
        }
    }

    public static ComputationGraphConfiguration configure(Spec spec, int seqLen, int maxBatch, NetDefaults defaults) {
        if (seqLen < 1 || seqLen > spec.context() || maxBatch < 1) {
            throw new IllegalArgumentException("seqLen=" + seqLen + ", maxBatch=" + maxBatch + ": need 1 <= seqLen <= context="
                    + spec.context() + " and maxBatch >= 1");
        }
        return defaults.finish(defaults.builder().graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.feedForward(seqLen))
                .addLayer(OUTPUT, new EncoderClassifierLayer(spec.vocabSize(), spec.context(), spec.layers(), spec.heads(), spec.width(),
                        spec.ffWidth(), spec.classes(), spec.dropout(), maxBatch), INPUT)
                .setOutputs(OUTPUT)
                .build());
    }

    private EncoderClassifier() {}
}
