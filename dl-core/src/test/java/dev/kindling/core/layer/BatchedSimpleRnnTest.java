package dev.kindling.core.layer;

import static dev.kindling.core.layer.RecurrentTwins.H;
import static dev.kindling.core.layer.RecurrentTwins.IN;
import static dev.kindling.core.layer.RecurrentTwins.T;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** {@link BatchedSimpleRnn} computes DL4J's SimpleRnn function and gradients on the same inputs and masks, in double precision. */
@ExtendWith(DoublePrecision.class)
class BatchedSimpleRnnTest {

    private static SimpleRnn simpleRnn(int nIn, RNNFormat format) {
        return new SimpleRnn.Builder().nIn(nIn).nOut(H).activation(Activation.TANH).dataFormat(format).build();
    }

    private static ComputationGraph net(boolean batched, RNNFormat format) {
        return RecurrentTwins.net(format, (nIn, f) -> batched ? BatchedSimpleRnn.of(simpleRnn(nIn, f)) : simpleRnn(nIn, f));
    }

    @Test
    void sameOutputsAndGradientsAsDl4jsSimpleRnnWithAndWithoutMasks() {
        RecurrentTwins.assertAgree(f -> net(false, f), f -> net(true, f), p -> p);
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
