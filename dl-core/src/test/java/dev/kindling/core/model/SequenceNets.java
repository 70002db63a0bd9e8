package dev.kindling.core.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Shared helpers of the sequence architectures' tests. */
final class SequenceNets {

    static ComputationGraph init(ComputationGraphConfiguration conf) {
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    /** Features [b, c, t] in [-0.5, 0.5). */
    static INDArray features(int b, int c, int t) {
        return Nd4j.rand(DataType.DOUBLE, b, c, t).subi(0.5);
    }

    /** A mask [b, t] with row i real for its first lengths[i] steps. */
    static INDArray mask(int t, int... lengths) {
        INDArray m = Nd4j.zeros(DataType.DOUBLE, lengths.length, t);
        for (int i = 0; i < lengths.length; i++) {
            for (int s = 0; s < lengths[i]; s++) {
                m.putScalar(i, s, 1.0);
            }
        }
        return m;
    }

    static void assertGradientsMatch(ComputationGraph g, INDArray x, INDArray y, INDArray featureMask, INDArray labelMask, String what) {
        GradientCheckUtil.GraphConfig cfg = new GradientCheckUtil.GraphConfig().net(g)
                .inputs(new INDArray[] {x}).labels(new INDArray[] {y})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).exitOnFirstError(false)
                .subset(true).maxPerParam(25) // every parameter array, up to 25 entries each: seconds, not minutes
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY);
        if (featureMask != null) {
            cfg.inputMask(new INDArray[] {featureMask});
        }
        if (labelMask != null) {
            cfg.labelMask(new INDArray[] {labelMask});
        }
        assertTrue(GradientCheckUtil.checkGradients(cfg), "gradient check failed: " + what);
    }

    static ComputationGraph roundTrip(ComputationGraph g, Architecture arch) throws Exception {
        byte[] zip = ModelStore.toBytes(g, arch, Map.of());
        ModelStore.Loaded back = ModelStore.fromBytes(zip, "memory");
        assertTrue(back.architecture() == arch);
        return back.graph();
    }

    private SequenceNets() {}
}
