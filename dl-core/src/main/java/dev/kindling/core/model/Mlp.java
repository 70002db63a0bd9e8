package dev.kindling.core.model;

import dev.kindling.core.layer.DenseLayerNorm;
import dev.kindling.core.optim.NetDefaults;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * The seed's section-2 MLP: Linear, LayerNorm, ReLU, Dropout, Linear(h, h/2), ReLU, Linear.
 * Seed: "PyTorch basics + MLP training loop", class MLP.
 *
 * <pre>
 * vertex   DL4J       seed (PyTorch)          note
 * input    [B, d]     x (B, d)
 * fc1      [B, h]     net[0] Linear(d, h)     identity activation
 * ln1      [B, h]     net[1] LayerNorm(h)     eps 1e-5, gain and bias ({@link DenseLayerNorm})
 * relu1    [B, h]     net[2] ReLU
 * fc2      [B, h/2]   net[3..5] Dropout, Linear(h, h/2), ReLU   DL4J drops a layer's input
 * output   [B, k]     net[6] Linear(h/2, k)   k = 1 (sigmoid, BCE) or C (softmax, CE)
 * </pre>
 * Weights are drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's Linear default; biases start
 * at 0 (PyTorch draws them from the same uniform).
 */
public final class Mlp {
    public static final String INPUT = "input";
    public static final String OUTPUT = "output";

    /**
     * @param inputs  feature width d (>= 1)
     * @param hidden  first hidden width h (>= 2, even)
     * @param classes number of classes C (>= 2)
     * @param head    binary (one logit) or softmax
     * @param dropout drop probability after the first block, in [0, 1)
     */
    public record Spec(int inputs, int hidden, int classes, Head head, double dropout) {
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
            if (dropout < 0 || dropout >= 1) {
                throw new IllegalArgumentException("dropout=" + dropout + ": must be in [0, 1)");
            }
        }

        /** The seed's MLP(20, 128, 1) on its binary task. */
        public static Spec tutorial() {
            return new Spec(20, 128, 2, Head.BINARY, 0.3);
        }

        /** Small enough for a double-precision gradient check. */
        public static Spec tiny() {
            return new Spec(5, 6, 3, Head.SOFTMAX, 0.0);
        }
    }

    public static ComputationGraphConfiguration configure(Spec spec, NetDefaults defaults) {
        return configure(spec, defaults, false);
    }

    /**
     * @param sameDiffLayerNorm use the SameDiff {@link dev.kindling.core.layer.LayerNorm} for ln1 (the
     *                          same function and parameters, several times slower): only for the
     *                          benchmark's before/after row
     */
    public static ComputationGraphConfiguration configure(Spec spec, NetDefaults defaults, boolean sameDiffLayerNorm) {
        int h = spec.hidden();
        DenseLayer.Builder fc2 = new DenseLayer.Builder().nIn(h).nOut(h / 2).activation(Activation.RELU)
                .weightInit(pytorchLinear(h));
        if (spec.dropout() > 0) {
            fc2.dropOut(new Dropout(1.0 - spec.dropout())); // DL4J's argument is the retain probability
        }
        return defaults.finish(defaults.builder().graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.feedForward(spec.inputs()))
                .addLayer("fc1", new DenseLayer.Builder().nIn(spec.inputs()).nOut(h).activation(Activation.IDENTITY)
                        .weightInit(pytorchLinear(spec.inputs())).build(), INPUT)
                .addLayer("ln1", sameDiffLayerNorm ? new dev.kindling.core.layer.LayerNorm(h) : new DenseLayerNorm(h), "fc1")
                .addLayer("relu1", new ActivationLayer.Builder().activation(Activation.RELU).build(), "ln1")
                .addLayer("fc2", fc2.build(), "relu1")
                .addLayer(OUTPUT, spec.head().outputLayer(h / 2, spec.classes())
                        .weightInit(pytorchLinear(h / 2)).build(), "fc2")
                .setOutputs(OUTPUT)
                .build());
    }

    static UniformDistribution pytorchLinear(int fanIn) {
        double bound = 1.0 / Math.sqrt(fanIn);
        return new UniformDistribution(-bound, bound);
    }

    private Mlp() {}
}
