package dev.kindling.core.layer;

import static dev.kindling.core.layer.RecurrentTwins.H;
import static dev.kindling.core.layer.RecurrentTwins.IN;
import static dev.kindling.core.layer.RecurrentTwins.T;
import static dev.kindling.core.layer.RecurrentTwins.mask;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.optim.NetDefaults;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.rnn.ReverseTimeSeriesVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@link BatchedLstm} computes DL4J's LSTM function and gradients (gate blocks reordered), and
 * {@link ReverseWithinMask} DL4J's reversal, on the same inputs and masks, in double precision.
 */
@ExtendWith(DoublePrecision.class)
class BatchedLstmTest {

    private static LSTM lstm(int nIn, RNNFormat format) {
        return new LSTM.Builder().nIn(nIn).nOut(H).activation(Activation.TANH).dataFormat(format).build();
    }

    private static ComputationGraph net(boolean batched, RNNFormat format) {
        return RecurrentTwins.net(format, (nIn, f) -> batched ? BatchedLstm.of(lstm(nIn, f)) : lstm(nIn, f));
    }

    /** DL4J's gate blocks [g, f, o, i] to BatchedLstm's [i, f, o, g] (and back: a swap). */
    private static INDArray swapGates(INDArray p) {
        INDArray out = p.dup();
        out.get(NDArrayIndex.all(), NDArrayIndex.interval(0, H)).assign(p.get(NDArrayIndex.all(), NDArrayIndex.interval(3 * H, 4 * H)));
        out.get(NDArrayIndex.all(), NDArrayIndex.interval(3 * H, 4 * H)).assign(p.get(NDArrayIndex.all(), NDArrayIndex.interval(0, H)));
        return out;
    }

    @Test
    void sameOutputsAndGradientsAsDl4jsLstmWithAndWithoutMasks() {
        RecurrentTwins.assertAgree(f -> net(false, f), f -> net(true, f), BatchedLstmTest::swapGates);
    }

    @Test
    void fullSequencesOnly() {
        ComputationGraph g = net(true, RNNFormat.NCW);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, IN, T);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> g.rnnTimeStep(x));
        assertTrue(e.getMessage().contains("rnnTimeStep"), e.getMessage());
    }

    @Test
    void reversalMatchesDl4jsVertexForEveryKindOfMask() {
        INDArray x = Nd4j.rand(DataType.DOUBLE, 3, IN, T);
        INDArray leftPadded = Nd4j.createFromArray(new double[][] {{0, 0, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1}, {1, 0, 1, 1, 0, 1}});
        for (INDArray m : new INDArray[] {null, mask(6, 6, 6), mask(4, 4, 4), mask(6, 3, 1), leftPadded}) {
            INDArray expected = reversed(x, m, new ReverseTimeSeriesVertex("in"));
            INDArray actual = reversed(x, m, new ReverseWithinMask("in"));
            assertEquals(0, expected.distance2(actual), 0.0, "mask " + m);
            assertEquals(0, ReverseWithinMask.reverse(actual, m, LayerWorkspaceMgr.noWorkspaces(),
                    org.deeplearning4j.nn.workspace.ArrayType.ACTIVATIONS).distance2(m == null ? x : x.mul(m.reshape(3, 1, T))),
                    0.0, "self-inverse, mask " + m);
        }
    }

    private static INDArray reversed(INDArray x, INDArray m, ReverseTimeSeriesVertex vertex) {
        ComputationGraph g = new ComputationGraph(NetDefaults.gradientCheck(1).builder().graphBuilder()
                .addInputs("in").setInputTypes(InputType.recurrent(IN))
                .addVertex("rev", vertex, "in")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY).nIn(IN).nOut(1).build(), "rev")
                .setOutputs("out").build());
        g.init();
        g.setLayerMaskArrays(m == null ? null : new INDArray[] {m}, null);
        return g.feedForward(new INDArray[] {x}, false, false).get("rev");
    }
}
