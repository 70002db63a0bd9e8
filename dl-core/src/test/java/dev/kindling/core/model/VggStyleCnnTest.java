package dev.kindling.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.data.ImageShape;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

@ExtendWith(DoublePrecision.class) // the gradient check needs it; the other tests name their data types
class VggStyleCnnTest {

    private static ComputationGraph init(VggStyleCnn.Spec spec, NetDefaults d) {
        ComputationGraph g = new ComputationGraph(VggStyleCnn.configure(spec, d));
        g.init();
        return g;
    }

    @Test
    void shapesFollowTheSectionDiagramAt224By224() {
        ComputationGraph g = init(VggStyleCnn.Spec.tutorial(), NetDefaults.adamW(1, DataType.FLOAT, CosineAnnealing.tutorial(), 5e-4));
        Map<String, INDArray> a = g.feedForward(Nd4j.rand(DataType.FLOAT, 1, 3, 224, 224), false);
        assertArrayEquals(new long[] {1, 64, 224, 224}, a.get("block1_relu").shape());
        assertArrayEquals(new long[] {1, 64, 112, 112}, a.get("pool1").shape());
        assertArrayEquals(new long[] {1, 128, 112, 112}, a.get("block2_relu").shape());
        assertArrayEquals(new long[] {1, 128, 56, 56}, a.get("pool2").shape());
        assertArrayEquals(new long[] {1, 256, 56, 56}, a.get("block3_relu").shape());
        assertArrayEquals(new long[] {1, 256}, a.get("gap").shape());
        assertArrayEquals(new long[] {1, 10}, a.get(VggStyleCnn.OUTPUT).shape());
        // PyTorch: convs 3*64*9 + 64*128*9 + 128*256*9, BN 2*(64+128+256), Linear 256*10+10; DL4J adds BN running stats
        assertEquals(1728 + 73_728 + 294_912 + 896 + 2570 + 896, g.numParams());
    }

    @Test
    void gradientsMatchFiniteDifferencesInDouble() {
        ComputationGraph g = init(VggStyleCnn.Spec.tiny(), NetDefaults.gradientCheck(11));
        INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 2, 8, 8).subi(0.5);
        INDArray y = Nd4j.create(new double[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 1, 0}});
        Set<String> runningStats = new HashSet<>(); // BatchNorm's running statistics have no gradient
        for (int b = 1; b <= 3; b++) {
            for (String p : List.of("mean", "var", "log10stdev")) {
                runningStats.add("block" + b + "_bn_" + p);
            }
        }
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                .inputs(new INDArray[] {x}).labels(new INDArray[] {y}).excludeParams(runningStats)
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).exitOnFirstError(false)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)), "gradient check failed");
    }

    @Test
    void saveAndLoadGiveIdenticalOutputs() throws Exception {
        ComputationGraph g = init(VggStyleCnn.Spec.seed(new ImageShape(1, 12, 12), true, 4, 0.1),
                NetDefaults.adamW(3, DataType.FLOAT, CosineAnnealing.tutorial(), 5e-4));
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 144);
        ModelStore.Loaded back = ModelStore.fromBytes(ModelStore.toBytes(g, Architecture.VGG_STYLE_CNN, Map.of()), "memory");
        assertEquals(g.outputSingle(x), back.graph().outputSingle(x));
        assertEquals(Architecture.VGG_STYLE_CNN, back.architecture());
    }
}
