package dev.kindling.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.layer.EncoderClassifierLayer;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import java.util.Map;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

@ExtendWith(DoublePrecision.class)
class EncoderClassifierTest {
    /** Two sentences padded with id 0 to T = 5. */
    private static final double[][] TOKENS = {{1, 2, 3, 0, 0}, {4, 5, 6, 2, 0}};
    private static final double[][] LABELS = {{0, 1, 0}, {0, 0, 1}};

    private static ComputationGraph init(EncoderClassifier.Spec spec, NetDefaults d) {
        ComputationGraph g = new ComputationGraph(EncoderClassifier.configure(spec, 5, 4, d));
        g.init();
        return g;
    }

    @Test
    void shapesFollowTheTable() {
        ComputationGraph g = init(new EncoderClassifier.Spec(50, 16, 2, 4, 32, 64, 4, 0.1),
                NetDefaults.adamW(1, DataType.FLOAT, CosineAnnealing.tutorial(), 0.1));
        INDArray p = g.outputSingle(Nd4j.createFromArray(TOKENS).castTo(DataType.FLOAT));
        assertArrayEquals(new long[] {2, 4}, p.shape());
        assertEquals(2.0, p.sumNumber().doubleValue(), 1e-5);
        long c = 32, f = 64;
        assertEquals(50 * c + 16 * c + 2 * (4 * c + 4 * c * c + 2 * c * f + f + c) + 2 * c + c * 4 + 4, g.numParams());
    }

    @Test
    void gradientsMatchFiniteDifferencesWithPadding() {
        ComputationGraph g = init(EncoderClassifier.Spec.tiny(), NetDefaults.gradientCheck(3));
        for (INDArray p : g.getLayer(EncoderClassifier.OUTPUT).paramTable().values()) {
            p.addi(Nd4j.randn(DataType.DOUBLE, p.shape()).muli(0.5));
        }
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                .inputs(new INDArray[] {Nd4j.createFromArray(TOKENS)}).labels(new INDArray[] {Nd4j.createFromArray(LABELS)})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).exitOnFirstError(false)
                .subset(true).maxPerParam(4).print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
        assertTrue(ok, "gradient check failed; see the log");
    }

    @Test
    void paddingPositionsDoNotReachThePrediction() {
        ComputationGraph g = init(EncoderClassifier.Spec.tiny(), NetDefaults.gradientCheck(3));
        INDArray x = Nd4j.createFromArray(TOKENS);
        INDArray before = g.outputSingle(x);
        Map<String, INDArray> p = g.getLayer(EncoderClassifier.OUTPUT).paramTable();
        // the padding token's embedding and the position rows only padding occupies (3, 4 for the first sentence)
        p.get(EncoderClassifierLayer.WTE).getRow(0).addi(5.0);
        p.get(EncoderClassifierLayer.WPE).getRow(4).addi(5.0);
        INDArray after = g.outputSingle(x);
        assertEquals(before.getRow(0), after.getRow(0));
        assertEquals(before.getRow(1), after.getRow(1), "row 1 has a real token at 3 but padding at 4");
        // a real token at a position does change it: attention is bidirectional, every token counts
        INDArray other = x.dup();
        other.putScalar(0, 2, 6);
        assertNotEquals(before.getRow(0), g.outputSingle(other).getRow(0));
        INDArray changedFirst = x.dup();
        changedFirst.putScalar(1, 0, 1);
        assertNotEquals(before.get(NDArrayIndex.point(1)), g.outputSingle(changedFirst).get(NDArrayIndex.point(1)));
    }

    @Test
    void saveAndLoadGiveIdenticalOutputs() throws Exception {
        ComputationGraph g = init(new EncoderClassifier.Spec(11, 8, 1, 2, 8, 16, 3, 0.1),
                NetDefaults.adamW(3, DataType.FLOAT, CosineAnnealing.tutorial(), 0.1));
        INDArray x = Nd4j.createFromArray(TOKENS).castTo(DataType.FLOAT);
        ModelStore.Loaded back = ModelStore.fromBytes(ModelStore.toBytes(g, Architecture.ENCODER_CLASSIFIER, Map.of()), "memory");
        assertEquals(g.outputSingle(x), back.graph().outputSingle(x));
    }
}
