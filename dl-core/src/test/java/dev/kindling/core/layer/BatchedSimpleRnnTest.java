package dev.kindling.core.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.optim.NetDefaults;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** {@link BatchedSimpleRnn} computes DL4J's SimpleRnn function and gradients on the same inputs and masks, in double precision. */
@ExtendWith(DoublePrecision.class)
class BatchedSimpleRnnTest {
    private static final int IN = 3;
    private static final int H = 4;
    private static final int T = 6;
    private static final String[] LAYERS = {"rnn", "rnn2"};

    /**
     * input [B, 3, 6] (or [B, 6, 3]) -> rnn -> rnn2 (DL4J's or batched) -> RnnOutputLayer (identity, MSE):
     * two layers, so the first one's gradients check the second one's input gradient.
     */
    private static ComputationGraph net(boolean batched, RNNFormat format) {
        ComputationGraphConfiguration.GraphBuilder b = NetDefaults.gradientCheck(7).builder().graphBuilder()
                .addInputs("in").setInputTypes(InputType.recurrent(IN, format));
        String previous = "in";
        for (String name : LAYERS) {
            SimpleRnn rnn = new SimpleRnn.Builder().nIn(previous.equals("in") ? IN : H).nOut(H).activation(Activation.TANH)
                    .dataFormat(format).build();
            b.addLayer(name, batched ? BatchedSimpleRnn.of(rnn) : rnn, previous);
            previous = name;
        }
        ComputationGraph g = new ComputationGraph(b.addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY).nIn(H).nOut(2).dataFormat(format).build(), previous)
                .setOutputs("out").build());
        g.init();
        return g;
    }

    private static INDArray mask(int... lengths) {
        INDArray m = Nd4j.zeros(DataType.DOUBLE, lengths.length, T);
        for (int i = 0; i < lengths.length; i++) {
            m.get(NDArrayIndex.point(i), NDArrayIndex.interval(0, lengths[i])).assign(1.0);
        }
        return m;
    }

    @Test
    void sameOutputsAndGradientsAsDl4jsSimpleRnnWithAndWithoutMasks() {
        for (RNNFormat format : RNNFormat.values()) {
            ComputationGraph dl4j = net(false, format);
            ComputationGraph batched = net(true, format);
            batched.setParams(dl4j.params().dup());
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
                        INDArray e = dl4j.gradient().getGradientFor(layer + "_" + p);
                        INDArray a = batched.gradient().getGradientFor(layer + "_" + p);
                        assertTrue(e.amaxNumber().doubleValue() > 1e-6, what + ": " + layer + " " + p + " gradient is all zero");
                        assertEquals(0, e.distance2(a), 1e-10, what + ": gradient of " + layer + " " + p);
                    }
                }
            }
        }
    }

    @Test
    void fullSequencesTanhAndNoLayerNormOnly() {
        ComputationGraph g = net(true, RNNFormat.NCW);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, IN, T);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> g.rnnTimeStep(x));
        assertTrue(e.getMessage().contains("rnnTimeStep") && e.getMessage().contains("SimpleRnn"), e.getMessage());
        IllegalArgumentException relu = assertThrows(IllegalArgumentException.class, () -> BatchedSimpleRnn.of(
                new SimpleRnn.Builder().nIn(IN).nOut(H).activation(Activation.RELU).build()));
        assertTrue(relu.getMessage().contains("only tanh"), relu.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BatchedSimpleRnn.of(
                new SimpleRnn.Builder().nIn(IN).nOut(H).activation(Activation.TANH).hasLayerNorm(true).build()));
    }
}
