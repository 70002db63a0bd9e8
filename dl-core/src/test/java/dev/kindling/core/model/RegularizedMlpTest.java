package dev.kindling.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import java.util.Map;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

@ExtendWith(DoublePrecision.class)
class RegularizedMlpTest {

    private static ComputationGraph init(RegularizedMlp.Spec spec, NetDefaults d) {
        ComputationGraph g = new ComputationGraph(RegularizedMlp.configure(spec, d));
        g.init();
        return g;
    }

    @Test
    void shapesAndParameterCountFollowTheSeed() {
        ComputationGraph g = init(RegularizedMlp.Spec.tutorial(), NetDefaults.adamW(1, DataType.FLOAT, CosineAnnealing.tutorial(), 0.05));
        Map<String, INDArray> acts = g.feedForward(Nd4j.rand(DataType.FLOAT, 7, 20), false);
        for (String v : new String[] {"fc1", "bn1", "gelu1"}) {
            assertArrayEquals(new long[] {7, 128}, acts.get(v).shape(), v);
        }
        for (String v : new String[] {"fc2", "ln2", "gelu2"}) {
            assertArrayEquals(new long[] {7, 64}, acts.get(v).shape(), v);
        }
        assertArrayEquals(new long[] {7, 1}, acts.get(RegularizedMlp.OUTPUT).shape());
        // PyTorch's 19,205 trainable parameters (with 2 logits: 19,270) plus BatchNorm's running mean and var (2 x 128)
        long torchTrainable = 20 * 128 + 128 + 2 * 128 + 128 * 64 + 64 + 2 * 64 + 64 + 1;
        assertEquals(torchTrainable + 2 * 128, g.numParams());
    }

    @Test
    void dropoutsAre03And02AfterTheirActivations() {
        ComputationGraph g = init(RegularizedMlp.Spec.tutorial(), NetDefaults.gradientCheck(1));
        assertEquals(0.7, ((Dropout) ((BaseLayer) g.getLayer("fc2").conf().getLayer()).getIDropout()).getP(), 1e-12);
        assertEquals(0.8, ((Dropout) ((BaseLayer) g.getLayer(RegularizedMlp.OUTPUT).conf().getLayer()).getIDropout()).getP(), 1e-12);
    }

    @Test
    void gradientsMatchFiniteDifferencesInDouble() {
        ComputationGraph g = init(RegularizedMlp.Spec.tiny(), NetDefaults.gradientCheck(7));
        INDArray x = Nd4j.rand(DataType.DOUBLE, 6, 5).subi(0.5);
        INDArray y = Nd4j.create(new double[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}});
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                .inputs(new INDArray[] {x}).labels(new INDArray[] {y})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).exitOnFirstError(false)
                // running statistics are not trained by gradients (DL4J's own BatchNorm checks exclude them)
                .excludeParams(java.util.Set.of("bn1_mean", "bn1_log10stdev"))
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
        assertTrue(ok, "gradient check failed");
    }

    @Test
    void saveAndLoadGiveIdenticalOutputs() throws Exception {
        ComputationGraph g = init(RegularizedMlp.Spec.tutorial(), NetDefaults.adamW(3, DataType.FLOAT, CosineAnnealing.tutorial(), 0.05));
        g.fit(new org.nd4j.linalg.dataset.DataSet(Nd4j.rand(DataType.FLOAT, 8, 20), Nd4j.rand(DataType.FLOAT, 8, 1).gt(0.5).castTo(DataType.FLOAT)));
        INDArray x = Nd4j.rand(DataType.FLOAT, 5, 20);
        ModelStore.Loaded back = ModelStore.fromBytes(ModelStore.toBytes(g, Architecture.REGULARIZED_MLP, Map.of()), "memory");
        assertEquals(g.outputSingle(x), back.graph().outputSingle(x));
        assertEquals(Architecture.REGULARIZED_MLP, back.architecture());
    }
}
