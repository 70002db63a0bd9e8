package dev.kindling.core.model;

import dev.kindling.core.layer.DenseLayerNorm;
import dev.kindling.core.layer.ForwardOnceOutputLayer;
import dev.kindling.core.layer.MlpTrunk;
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
 * vertex   DL4J       seed (PyTorch)                                   note
 * input    [B, d]     x (B, d)
 * trunk    [B, h/2]   net[0..5] Linear(d, h), LayerNorm(h), ReLU,     one layer ({@link MlpTrunk}): LayerNorm eps 1e-5
 *                     Dropout, Linear(h, h/2), ReLU                   with gain and bias
 * output   [B, k]     net[6] Linear(h/2, k)                           k = 1 (sigmoid, BCE) or C (softmax, CE);
 *                                                                  {@link ForwardOnceOutputLayer}
 * </pre>
 * Weights are drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's Linear default; biases start
 * at 0 (PyTorch draws them from the same uniform). {@link Form#LAYERS} builds the trunk as the five DL4J
 * layers it replaces (fc1, ln1, relu1, fc2 with dropout on its input), the same function.
 */
public final class Mlp {
    public static final String INPUT = "input";
    public static final String OUTPUT = "output";
    /** The hidden layers' vertex ({@link MlpTrunk}). */
    public static final String TRUNK = "trunk";

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

    /** How the hidden layers are built: one {@link MlpTrunk} (what training runs), or the five DL4J layers it replaces. */
    public enum Form {
        /** One layer, four BLAS products and Java loops: a training step of the seed's MLP runs 50 ND4J operations, with the five layers 103. */
        TRUNK,
        /** fc1, ln1 ({@link DenseLayerNorm}), relu1, fc2 (dropout on its input): the same function, for the twin tests and the bench's before. */
        LAYERS,
        /** {@link #LAYERS} with the SameDiff {@link dev.kindling.core.layer.LayerNorm} as ln1: the before of {@link DenseLayerNorm}. */
        SAMEDIFF_LAYER_NORM
    }

    public static ComputationGraphConfiguration configure(Spec spec, NetDefaults defaults) {
        return configure(spec, defaults, Form.TRUNK);
    }

    public static ComputationGraphConfiguration configure(Spec spec, NetDefaults defaults, Form form) {
        int h = spec.hidden();
        var g = defaults.builder().graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.feedForward(spec.inputs()));
        String last;
        if (form == Form.TRUNK) {
            g.addLayer(TRUNK, new MlpTrunk(spec.inputs(), h, spec.dropout()), INPUT);
            last = TRUNK;
        } else {
            DenseLayer.Builder fc2 = new DenseLayer.Builder().nIn(h).nOut(h / 2).activation(Activation.RELU)
                    .weightInit(pytorchLinear(h));
            if (spec.dropout() > 0) {
                fc2.dropOut(new Dropout(1.0 - spec.dropout())); // DL4J's argument is the retain probability
            }
            g.addLayer("fc1", new DenseLayer.Builder().nIn(spec.inputs()).nOut(h).activation(Activation.IDENTITY)
                            .weightInit(pytorchLinear(spec.inputs())).build(), INPUT)
                    .addLayer("ln1", form == Form.SAMEDIFF_LAYER_NORM ? new dev.kindling.core.layer.LayerNorm(h) : new DenseLayerNorm(h), "fc1")
                    .addLayer("relu1", new ActivationLayer.Builder().activation(Activation.RELU).build(), "ln1")
                    .addLayer("fc2", fc2.build(), "relu1");
            last = "fc2";
        }
        return defaults.finish(g.addLayer(OUTPUT, ForwardOnceOutputLayer.of(spec.head().outputLayer(h / 2, spec.classes())
                        .weightInit(pytorchLinear(h / 2)).build()), last)
                .setOutputs(OUTPUT)
                .build());
    }

    static UniformDistribution pytorchLinear(int fanIn) {
        double bound = 1.0 / Math.sqrt(fanIn);
        return new UniformDistribution(-bound, bound);
    }

    private Mlp() {}
}
