package dev.kindling.core.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.optim.NetDefaults;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
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
    private static final int IN = 3;
    private static final int H = 4;
    private static final int T = 6;
    private static final String[] LAYERS = {"lstm", "lstm2"};

    /**
     * input [B, 3, 6] (or [B, 6, 3]) -> lstm -> lstm2 (DL4J's or batched) -> RnnOutputLayer (identity, MSE):
     * two layers, so the first one's gradients check the second one's input gradient.
     */
    private static ComputationGraph net(boolean batched, RNNFormat format) {
        ComputationGraphConfiguration.GraphBuilder b = NetDefaults.gradientCheck(7).builder().graphBuilder()
                .addInputs("in").setInputTypes(InputType.recurrent(IN, format));
        String previous = "in";
        for (String name : LAYERS) {
            LSTM lstm = new LSTM.Builder().nIn(previous.equals("in") ? IN : H).nOut(H).activation(Activation.TANH)
                    .dataFormat(format).build();
            b.addLayer(name, batched ? BatchedLstm.of(lstm) : lstm, previous);
            previous = name;
        }
        ComputationGraph g = new ComputationGraph(b.addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY).nIn(H).nOut(2).dataFormat(format).build(), previous)
                .setOutputs("out").build());
        g.init();
        return g;
    }

    /** DL4J's gate blocks [g, f, o, i] to BatchedLstm's [i, f, o, g] (and back: a swap). */
    private static INDArray swapGates(INDArray p) {
        INDArray out = p.dup();
        out.get(NDArrayIndex.all(), NDArrayIndex.interval(0, H)).assign(p.get(NDArrayIndex.all(), NDArrayIndex.interval(3 * H, 4 * H)));
        out.get(NDArrayIndex.all(), NDArrayIndex.interval(3 * H, 4 * H)).assign(p.get(NDArrayIndex.all(), NDArrayIndex.interval(0, H)));
        return out;
    }

    private static INDArray mask(int... lengths) {
        INDArray m = Nd4j.zeros(DataType.DOUBLE, lengths.length, T);
        for (int i = 0; i < lengths.length; i++) {
            m.get(NDArrayIndex.point(i), NDArrayIndex.interval(0, lengths[i])).assign(1.0);
        }
        return m;
    }

    @Test
    void sameOutputsAndGradientsAsDl4jsLstmWithAndWithoutMasks() {
        for (RNNFormat format : RNNFormat.values()) {
            ComputationGraph dl4j = net(false, format);
            ComputationGraph batched = net(true, format);
            for (String layer : LAYERS) {
                for (String p : new String[] {"W", "RW", "b"}) {
                    batched.getLayer(layer).setParam(p, swapGates(dl4j.getLayer(layer).getParam(p)));
                }
            }
            batched.getLayer("out").setParams(dl4j.getLayer("out").params().dup());
            long[] shape = format == RNNFormat.NCW ? new long[] {3, IN, T} : new long[] {3, T, IN};
            INDArray x = Nd4j.rand(DataType.DOUBLE, shape).subi(0.5);
            INDArray y = Nd4j.rand(DataType.DOUBLE, format == RNNFormat.NCW ? new long[] {3, 2, T} : new long[] {3, T, 2});
            for (INDArray m : new INDArray[] {null, mask(6, 4, 1), mask(2, 2, 2)}) {
                String what = format + (m == null ? " no mask" : " mask " + m);
                INDArray[] masks = m == null ? null : new INDArray[] {m};
                INDArray expected = dl4j.output(false, new INDArray[] {x}, masks)[0];
                INDArray actual = batched.output(false, new INDArray[] {x}, masks)[0];
                assertEquals(0, expected.distance2(actual), 1e-12, what);

                for (ComputationGraph g : new ComputationGraph[] {dl4j, batched}) {
                    g.setInputs(x);
                    g.setLabels(y);
                    g.setLayerMaskArrays(masks, masks);
                    g.computeGradientAndScore();
                }
                assertEquals(dl4j.score(), batched.score(), 1e-12, what);
                for (String layer : LAYERS) {
                    for (String p : new String[] {"W", "RW", "b"}) {
                        INDArray e = swapGates(dl4j.gradient().getGradientFor(layer + "_" + p));
                        INDArray a = batched.gradient().getGradientFor(layer + "_" + p);
                        assertTrue(e.amaxNumber().doubleValue() > 1e-6, what + ": " + layer + " " + p + " gradient is all zero");
                        assertEquals(0, e.distance2(a), 1e-10, what + ": gradient of " + layer + " " + p);
                    }
                }
            }
        }
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
