package dev.kindling.core.model;

import dev.kindling.core.layer.BatchedLstm;
import dev.kindling.core.layer.ForwardOnceOutputLayer;
import dev.kindling.core.layer.ReverseWithinMask;
import dev.kindling.core.optim.NetDefaults;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.rnn.LastTimeStepVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * The seed's LSTMClassifier: a stacked (optionally bidirectional) LSTM, dropout between layers, and
 * the head Linear(d, d/2), ReLU, Dropout, Linear(d/2, k) on the last time step's output, d = H x
 * directions. Seed: "Model Sequences, Time, and Memory", class LSTMClassifier, trained as
 * LSTMClassifier(16, 128, num_layers=2, 2, dropout=0.3, bidirectional=True).
 *
 * <pre>
 * vertex     DL4J          seed (PyTorch)          note
 * input      [B, C, T]     x (B, T, C)             NCW; converted once in SequenceLayout; mask [B, T]
 * lstm0      [B, d, T]     lstm layer 0 out        merge of lstm0_fwd and lstm0_bwd: forward then backward halves
 * drop1      [B, d, T]     inter-layer dropout     PyTorch's dropout between layers
 * lstm1      [B, d, T]     lstm layer 1 out
 * last       [B, d]        out[:, -1, :]           LastTimeStepVertex: the last REAL step under a mask
 * fc1        [B, d/2]      head[0..1] Linear, ReLU
 * out        [B, k]        head[2..3] Dropout, Linear   softmax + CE
 * </pre>
 * Each bidirectional layer is built from two plain LSTMs: the backward one reads every sequence
 * reversed within its mask ({@code ReverseWithinMask}, DL4J's {@code ReverseTimeSeriesVertex} function), so right padding stays at the end
 * in both directions, where a forward-running LSTM's real steps never see it. The output for a
 * right-padded sequence therefore equals the unpadded one's (the seed's pack_padded_sequence note;
 * tested). DL4J's own {@code Bidirectional} wrapper does not do this: inside a graph its LSTMs never
 * receive the mask, so the backward direction reads the padding first (measured), and setting the
 * mask on them makes DL4J's masked LSTM backprop leak gradient from padded steps into the input
 * weights and biases (gradient check failed).
 * Each direction is DL4J's LSTM configuration computed by {@link BatchedLstm} (the input projection of
 * all time steps in one matrix product). With {@link ReverseWithinMask} the seed-size training step is
 * 2.1x as fast as with DL4J's LSTM and vertex, 2.6x per CPU-second (BENCHMARKS.md).
 * Differences from PyTorch's nn.LSTM: one bias per gate instead of two (same function, 4H fewer
 * parameters per layer and direction) and DL4J's forget-gate bias initialised to 1.
 */
public final class LstmClassifier {
    public static final String INPUT = "input";
    public static final String OUTPUT = "out";

    /**
     * @param inputs        channels C (>= 1)
     * @param hidden        LSTM width H per direction (>= 1)
     * @param layers        stacked LSTM layers (>= 1)
     * @param classes       k (>= 2)
     * @param dropout       between LSTM layers and in the head, [0, 1)
     * @param bidirectional d = 2H when true
     */
    public record Spec(int inputs, int hidden, int layers, int classes, Head head, double dropout, boolean bidirectional) {
        public Spec {
            if (inputs < 1 || hidden < 1 || layers < 1) {
                throw new IllegalArgumentException("inputs=" + inputs + ", hidden=" + hidden + ", layers=" + layers + ": must be >= 1");
            }
            if (classes < 2) {
                throw new IllegalArgumentException("classes=" + classes + ": must be >= 2");
            }
            if (dropout < 0 || dropout >= 1) {
                throw new IllegalArgumentException("dropout=" + dropout + ": must be in [0, 1)");
            }
            if (!bidirectional && hidden % 2 != 0) {
                throw new IllegalArgumentException("hidden=" + hidden + ": must be even for a unidirectional head (d/2)");
            }
        }

        /** The seed's LSTMClassifier(16, 128, 2, 2, dropout=0.3, bidirectional=True). */
        public static Spec tutorial() {
            return new Spec(16, 128, 2, 2, Head.SOFTMAX, 0.3, true);
        }

        public static Spec tiny() {
            return new Spec(3, 4, 2, 2, Head.SOFTMAX, 0.0, true);
        }

        public int width() {
            return hidden * (bidirectional ? 2 : 1);
        }
    }

    public static ComputationGraphConfiguration configure(Spec spec, NetDefaults defaults) {
        GraphBuilder g = defaults.builder().graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.recurrent(spec.inputs()));
        String previous = INPUT;
        int nIn = spec.inputs();
        for (int i = 0; i < spec.layers(); i++) {
            if (i > 0 && spec.dropout() > 0) {
                // PyTorch's dropout on layer i-1's output; one mask seen by both directions
                g.addLayer("drop" + i, new DropoutLayer.Builder(1.0 - spec.dropout()).build(), previous); // DL4J's argument: retain probability
                previous = "drop" + i;
            }
            String name = "lstm" + i;
            if (spec.bidirectional()) {
                // backward direction: reverse each sequence within its mask, run, reverse back; padding stays at the end
                g.addLayer(name + "_fwd", lstm(nIn, spec.hidden()), previous)
                        .addVertex(name + "_rev", new ReverseWithinMask(INPUT), previous)
                        .addLayer(name + "_bwd_rev", lstm(nIn, spec.hidden()), name + "_rev")
                        .addVertex(name + "_bwd", new ReverseWithinMask(INPUT), name + "_bwd_rev")
                        .addVertex(name, new MergeVertex(), name + "_fwd", name + "_bwd");        // [B, 2H, T]
            } else {
                g.addLayer(name, lstm(nIn, spec.hidden()), previous);
            }
            previous = name;
            nIn = spec.width();
        }
        int d = spec.width();
        OutputLayer.Builder out = spec.head().outputLayer(d / 2, spec.classes()).weightInit(Mlp.pytorchLinear(d / 2));
        if (spec.dropout() > 0) {
            out.dropOut(new Dropout(1.0 - spec.dropout()));
        }
        return defaults.finish(g
                .addVertex("last", new LastTimeStepVertex(INPUT), previous)
                .addLayer("fc1", new DenseLayer.Builder().nIn(d).nOut(d / 2).activation(Activation.RELU)
                        .weightInit(Mlp.pytorchLinear(d)).build(), "last")
                .addLayer(OUTPUT, ForwardOnceOutputLayer.of(out.build()), "fc1")
                .setOutputs(OUTPUT)
                .build());
    }

    /**
     * One LSTM direction, computed by {@link BatchedLstm}; PyTorch's nn.LSTM
     * initialisation: every weight U(-1/sqrt(H), 1/sqrt(H)).
     */
    static BatchedLstm lstm(int nIn, int hidden) {
        return BatchedLstm.of(new LSTM.Builder().nIn(nIn).nOut(hidden).activation(Activation.TANH)
                .weightInit(Mlp.pytorchLinear(hidden)).weightInitRecurrent(Mlp.pytorchLinear(hidden)).build());
    }

    private LstmClassifier() {}
}
