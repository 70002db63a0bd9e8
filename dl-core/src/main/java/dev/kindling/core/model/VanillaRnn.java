package dev.kindling.core.model;

import dev.kindling.core.layer.BatchedSimpleRnn;
import dev.kindling.core.optim.NetDefaults;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.rnn.LastTimeStepVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.nd4j.linalg.activations.Activation;

/**
 * The seed's VanillaRNN: {@code h_t = tanh(Wx x_t + Wh h_{t-1} + b)} from {@code h_0 = 0}, classify from
 * the last hidden state. DL4J's {@link SimpleRnn} configuration computed by {@link BatchedSimpleRnn}:
 * {@code tanh(x_t W + h_{t-1} RW + b)}, the same equation (a test checks it step by step against a hand
 * loop, another against DL4J's own layer), with half-precision products under {@code --precision}; with a
 * mask, the "last" state is the last real step's. Seed: "Model Sequences, Time, and Memory", class VanillaRNN.
 *
 * <pre>
 * vertex   DL4J         seed (PyTorch)                note
 * input    [B, C, T]    x (B, T, C)                   NCW; converted once in SequenceLayout
 * rnn      [B, H, T]    outputs (T of (B, H))         W [C, H] = Wx (no bias), RW [H, H] = Wh, b [H] = Wh.bias
 * last     [B, H]       outputs[-1]                   LastTimeStepVertex: last unmasked step
 * out      [B, k]       out Linear(H, k)              softmax + CE (or sigmoid + BCE for one logit)
 * </pre>
 * Weights are U(-1/sqrt(fan_in), 1/sqrt(fan_in)) as PyTorch's Linear; the bias starts at 0.
 */
public final class VanillaRnn {
    public static final String INPUT = "input";
    public static final String OUTPUT = "out";

    /**
     * @param inputs  channels C per step (>= 1)
     * @param hidden  hidden width H (>= 1)
     * @param classes classes k (>= 2)
     */
    public record Spec(int inputs, int hidden, int classes, Head head) {
        public Spec {
            if (inputs < 1 || hidden < 1) {
                throw new IllegalArgumentException("inputs=" + inputs + ", hidden=" + hidden + ": must be >= 1");
            }
            if (classes < 2) {
                throw new IllegalArgumentException("classes=" + classes + ": must be >= 2");
            }
        }

        /** The seed's smoke-test size: VanillaRNN(16, 128, 2). */
        public static Spec tutorial() {
            return new Spec(16, 128, 2, Head.SOFTMAX);
        }

        public static Spec tiny() {
            return new Spec(3, 4, 2, Head.SOFTMAX);
        }
    }

    public static ComputationGraphConfiguration configure(Spec spec, NetDefaults defaults) {
        return defaults.finish(defaults.builder().graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.recurrent(spec.inputs()))
                .addLayer("rnn", BatchedSimpleRnn.of(new SimpleRnn.Builder().nIn(spec.inputs()).nOut(spec.hidden()).activation(Activation.TANH)
                        .weightInit(Mlp.pytorchLinear(spec.inputs())).weightInitRecurrent(Mlp.pytorchLinear(spec.hidden())).build()), INPUT)
                .addVertex("last", new LastTimeStepVertex(INPUT), "rnn")
                .addLayer(OUTPUT, spec.head().outputLayer(spec.hidden(), spec.classes())
                        .weightInit(Mlp.pytorchLinear(spec.hidden())).build(), "last")
                .setOutputs(OUTPUT)
                .build());
    }

    private VanillaRnn() {}
}
