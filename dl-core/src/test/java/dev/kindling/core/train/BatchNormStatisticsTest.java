package dev.kindling.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.data.ImageShape;
import dev.kindling.core.model.SmallCnn;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class BatchNormStatisticsTest {

    private static Map<String, INDArray> copy(Map<String, INDArray> acts) {
        Map<String, INDArray> m = new java.util.HashMap<>();
        acts.forEach((k, v) -> m.put(k, v.dup()));
        return m;
    }

    @Test
    void afterRecalibrationInferenceNormalisesABatchAsTrainingDoes() {
        ComputationGraph g = new ComputationGraph(SmallCnn.configure(
                new SmallCnn.Spec(new ImageShape(2, 8, 8), false, new int[] {3, 4, 4, 3, 5}, 4, 3, 0.0, 0.0),
                NetDefaults.adamW(1, DataType.FLOAT, CosineAnnealing.tutorial(), 0)));
        g.init();
        INDArray x = Nd4j.rand(DataType.FLOAT, 16, 2, 8, 8).muli(3).addi(2); // far from the initial mean 0, variance 1
        assertTrue(BatchNormStatistics.present(g));
        Map<String, INDArray> train = copy(g.feedForward(new INDArray[] {x}, true, false));
        Map<String, INDArray> before = copy(g.feedForward(new INDArray[] {x}, false, false));
        double gapBefore = before.get("block1_relu").sub(train.get("block1_relu")).norm2Number().doubleValue();
        assertEquals(1, BatchNormStatistics.recalibrate(g, List.of(new DataSet(x, Nd4j.zeros(DataType.FLOAT, 16, 3))).iterator()));
        Map<String, INDArray> after = copy(g.feedForward(new INDArray[] {x}, false, false));
        // compare after the ReLUs: in inference DL4J applies the activation layer in place on the BatchNorm output
        for (String bn : List.of("block1_relu", "block3_relu", "block5_relu")) {
            double gap = after.get(bn).sub(train.get(bn)).norm2Number().doubleValue() / train.get(bn).norm2Number().doubleValue();
            assertTrue(gap < 1e-3, bn + ": inference differs from training-mode normalisation by " + gap);
        }
        assertTrue(gapBefore > 1, "the initial statistics should have been off: " + gapBefore);
    }
}
