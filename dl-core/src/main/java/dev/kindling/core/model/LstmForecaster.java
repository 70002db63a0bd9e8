package dev.kindling.core.model;

import dev.kindling.core.optim.NetDefaults;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.rnn.LastTimeStepVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The seed's LSTMForecaster: a stacked LSTM over a window of past values; the last layer's final
 * hidden state {@code h_n[-1]} goes through Linear(H, horizon) to the next {@code horizon} values;
 * MSE loss. Seed: "Model Sequences, Time, and Memory", class LSTMForecaster.
 *
 * <pre>
 * vertex     DL4J            seed (PyTorch)       note
 * input      [B, C, W]       x (B, W, C)          NCW, W = window; C = 1 for a univariate series
 * lstm{i}    [B, H, W]       lstm layer i out     no dropout (the seed's nn.LSTM has none)
 * last       [B, H]          h_n[-1]              unidirectional: the last step's output is h_n
 * fc         [B, horizon]    fc Linear(H, hz)     identity, MSE
 * </pre>
 */
public final class LstmForecaster {
    public static final String INPUT = "input";
    public static final String OUTPUT = "fc";

    /**
     * @param inputs  channels C (>= 1)
     * @param hidden  H (>= 1)
     * @param layers  stacked LSTM layers (>= 1)
     * @param horizon predicted steps (>= 1)
     */
    public record Spec(int inputs, int hidden, int layers, int horizon) {
        public Spec {
            if (inputs < 1 || hidden < 1 || layers < 1 || horizon < 1) {
                throw new IllegalArgumentException("inputs=" + inputs + ", hidden=" + hidden + ", layers=" + layers
                        + ", horizon=" + horizon + ": must all be >= 1");
            }
        }

        /** The seed's smoke-test size: LSTMForecaster(16, 128, 2, 10). */
        public static Spec tutorial() {
            return new Spec(16, 128, 2, 10);
        }

        public static Spec tiny() {
            return new Spec(2, 3, 2, 2);
        }
    }

    public static ComputationGraphConfiguration configure(Spec spec, NetDefaults defaults) {
        GraphBuilder g = defaults.builder().graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.recurrent(spec.inputs()));
        String previous = INPUT;
        int nIn = spec.inputs();
        for (int i = 0; i < spec.layers(); i++) {
            g.addLayer("lstm" + i, LstmClassifier.lstm(nIn, spec.hidden()), previous);
            previous = "lstm" + i;
            nIn = spec.hidden();
        }
        return defaults.finish(g
                .addVertex("last", new LastTimeStepVertex(INPUT), previous)
                .addLayer(OUTPUT, new OutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                        .nIn(spec.hidden()).nOut(spec.horizon()).weightInit(Mlp.pytorchLinear(spec.hidden())).build(), "last")
                .setOutputs(OUTPUT)
                .build());
    }

    private LstmForecaster() {}
}
