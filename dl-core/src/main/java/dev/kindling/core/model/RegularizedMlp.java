package dev.kindling.core.model;

import dev.kindling.core.layer.ExactGelu;
import dev.kindling.core.layer.LayerNorm;
import dev.kindling.core.optim.NetDefaults;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * The seed's {@code RegularizedMLP}: Linear, BatchNorm1d, GELU, Dropout(0.3), Linear(h, h/2),
 * LayerNorm, GELU, Dropout(0.2), Linear(h/2, k). Seed: "The Craft of Getting Models to Actually
 * Train", class RegularizedMLP.
 *
 * <pre>
 * vertex   DL4J       seed (PyTorch)               note
 * input    [B, d]     x (B, d)
 * fc1      [B, h]     net[0] Linear(d, h)          identity activation
 * bn1      [B, h]     net[1] BatchNorm1d(h)        eps 1e-5; running stats decay 0.9 = PyTorch momentum 0.1
 * gelu1    [B, h]     net[2] GELU
 * fc2      [B, h/2]   net[3..4] Dropout(0.3), Linear(h, h/2)   DL4J drops a layer's input
 * ln2      [B, h/2]   net[5] LayerNorm(h/2)
 * gelu2    [B, h/2]   net[6] GELU
 * output   [B, k]     net[7..8] Dropout(0.2), Linear(h/2, k)   k = 1 (sigmoid, BCE) or C (softmax, CE)
 * </pre>
 * GELU is PyTorch's exact erf form ({@link ExactGelu}; ND4J's own GELUs are approximations). On a binary dataset the head is one sigmoid
 * logit (the seed uses two softmax logits; the decision is the same).
 */
public final class RegularizedMlp {
    public static final String INPUT = "input";
    public static final String OUTPUT = "output";

    /**
     * @param inputs   feature width d (>= 1)
     * @param hidden   first hidden width h (>= 2, even)
     * @param classes  number of classes C (>= 2)
     * @param head     binary (one logit) or softmax
     * @param dropout1 drop probability after the first block, in [0, 1) (seed 0.3)
     * @param dropout2 drop probability after the second block, in [0, 1) (seed 0.2)
     */
    public record Spec(int inputs, int hidden, int classes, Head head, double dropout1, double dropout2) {
        public Spec {
            if (inputs < 1) {
                throw new IllegalArgumentException("inputs=" + inputs + ": must be >= 1");
            }
            if (hidden < 2 || hidden % 2 != 0) {
                throw new IllegalArgumentException("hidden=" + hidden + ": must be even and >= 2 (the second layer has hidden/2)");
            }
            if (classes < 2) {
                throw new IllegalArgumentException("classes=" + classes + ": must be >= 2");
            }
            if (dropout1 < 0 || dropout1 >= 1 || dropout2 < 0 || dropout2 >= 1) {
                throw new IllegalArgumentException("dropout1=" + dropout1 + ", dropout2=" + dropout2 + ": each must be in [0, 1)");
            }
        }

        /** The seed's RegularizedMLP(20, 128, 2). */
        public static Spec tutorial() {
            return new Spec(20, 128, 2, Head.BINARY, 0.3, 0.2);
        }

        /** Small enough for a double-precision gradient check. */
        public static Spec tiny() {
            return new Spec(5, 6, 3, Head.SOFTMAX, 0.0, 0.0);
        }
    }

    public static ComputationGraphConfiguration configure(Spec spec, NetDefaults defaults) {
        int h = spec.hidden();
        DenseLayer.Builder fc2 = new DenseLayer.Builder().nIn(h).nOut(h / 2).activation(Activation.IDENTITY)
                .weightInit(Mlp.pytorchLinear(h));
        if (spec.dropout1() > 0) {
            fc2.dropOut(new Dropout(1.0 - spec.dropout1())); // DL4J's argument is the retain probability
        }
        var out = spec.head().outputLayer(h / 2, spec.classes()).weightInit(Mlp.pytorchLinear(h / 2));
        if (spec.dropout2() > 0) {
            out.dropOut(new Dropout(1.0 - spec.dropout2()));
        }
        return defaults.finish(defaults.builder().graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.feedForward(spec.inputs()))
                .addLayer("fc1", new DenseLayer.Builder().nIn(spec.inputs()).nOut(h).activation(Activation.IDENTITY)
                        .weightInit(Mlp.pytorchLinear(spec.inputs())).build(), INPUT)
                .addLayer("bn1", new BatchNormalization.Builder().nOut(h).eps(1e-5).decay(0.9).build(), "fc1")
                .addLayer("gelu1", new ActivationLayer.Builder().activation(new ExactGelu()).build(), "bn1")
                .addLayer("fc2", fc2.build(), "gelu1")
                .addLayer("ln2", new LayerNorm(h / 2), "fc2")
                .addLayer("gelu2", new ActivationLayer.Builder().activation(new ExactGelu()).build(), "ln2")
                .addLayer(OUTPUT, out.build(), "gelu2")
                .setOutputs(OUTPUT)
                .build());
    }

    private RegularizedMlp() {}
}
