package dev.kindling.core.model;

import dev.kindling.core.layer.EncoderDecoderLstm;
import dev.kindling.core.optim.NetDefaults;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The seed's Seq2Seq: embedding + LSTM encoder whose final (h, c) initialises an LSTM decoder, and
 * fc_out Linear(H, V) over every decoder step. Training is teacher-forced (the decoder reads the
 * target shifted right behind BOS); inference decodes greedily
 * ({@link dev.kindling.core.sequence.GreedyDecoder}). Seed: "Model Sequences, Time, and Memory",
 * class Seq2Seq.
 *
 * <pre>
 * vertex            DL4J              seed (PyTorch)                  note
 * tokens            [B, Ts + Td]      src (B, Ts), tgt (B, Td)        one input: shards hold one feature array
 * encdec            [B, H, Td]        dec_out (B, Td, H)              {@link EncoderDecoderLstm}: embed, encoder, decoder
 * fc_out            [B, V, Td]        fc_out(dec_out) (B, Td, V)      softmax + CE over the label-masked steps
 * </pre>
 */
public final class Seq2Seq {
    public static final String INPUT = "tokens";
    public static final String OUTPUT = "fc_out";

    /**
     * @param vocab        V (>= 2)
     * @param embed        E (>= 1)
     * @param hidden       H (>= 1)
     * @param sourceLength Ts (>= 1)
     * @param targetLength Td (>= 1)
     */
    public record Spec(int vocab, int embed, int hidden, int sourceLength, int targetLength) {
        public Spec {
            if (vocab < 2 || embed < 1 || hidden < 1 || sourceLength < 1 || targetLength < 1) {
                throw new IllegalArgumentException("vocab=" + vocab + " embed=" + embed + " hidden=" + hidden
                        + " sourceLength=" + sourceLength + " targetLength=" + targetLength + ": need vocab >= 2 and the rest >= 1");
            }
        }

        /** The seed's smoke-test size: Seq2Seq(1000, 64, 128) on 50-token sequences. */
        public static Spec tutorial() {
            return new Spec(1000, 64, 128, 50, 50);
        }

        public static Spec tiny() {
            return new Spec(5, 3, 4, 3, 3);
        }
    }

    public static ComputationGraphConfiguration configure(Spec spec, NetDefaults defaults) {
        return defaults.finish(defaults.builder().graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.feedForward(spec.sourceLength() + spec.targetLength()))
                .addLayer("encdec", new EncoderDecoderLstm(spec.vocab(), spec.embed(), spec.hidden(), spec.sourceLength(),
                        spec.targetLength()), INPUT)
                .addLayer(OUTPUT, new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                        .nIn(spec.hidden()).nOut(spec.vocab()).weightInit(Mlp.pytorchLinear(spec.hidden())).build(), "encdec")
                .setOutputs(OUTPUT)
                .build());
    }

    private Seq2Seq() {}
}
