package dev.kindling.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class ClassificationMetricsTest {

    @Test
    void softmaxOutputsGiveConfusionLossAndPerClassScores() {
        ClassificationMetrics m = new ClassificationMetrics(3);
        m.add(Nd4j.create(new double[][] {{0.7, 0.2, 0.1}, {0.1, 0.8, 0.1}, {0.5, 0.3, 0.2}, {0.2, 0.2, 0.6}}),
                Nd4j.create(new double[][] {{1, 0, 0}, {0, 1, 0}, {0, 1, 0}, {0, 0, 1}}));
        assertArrayEquals(new long[] {1, 0, 0}, m.confusion()[0]);
        assertArrayEquals(new long[] {1, 1, 0}, m.confusion()[1]);
        assertEquals(0.75, m.accuracy(), 1e-15);
        assertEquals(-(Math.log(0.7) + Math.log(0.8) + Math.log(0.3) + Math.log(0.6)) / 4, m.loss(), 1e-12);
        assertEquals(0.5, m.precision(0), 1e-15);
        assertEquals(0.5, m.recall(1), 1e-15);
        assertEquals(2 * 1.0 * 0.5 / 1.5, m.f1(1), 1e-15);
    }

    @Test
    void binaryOutputsThresholdAtOneHalf() {
        ClassificationMetrics m = new ClassificationMetrics(2);
        m.add(Nd4j.create(new double[][] {{0.9}, {0.4}, {0.6}}), Nd4j.create(new double[][] {{1}, {0}, {0}}));
        assertArrayEquals(new long[] {1, 1}, m.confusion()[0]);
        assertArrayEquals(new long[] {0, 1}, m.confusion()[1]);
        assertEquals(-(Math.log(0.9) + Math.log(0.6) + Math.log(0.4)) / 3, m.loss(), 1e-12);
    }

    @Test
    void mergedPartsEqualTheWhole() {
        double[][] p = {{0.9}, {0.4}, {0.6}, {0.2}};
        double[][] y = {{1}, {0}, {0}, {1}};
        ClassificationMetrics whole = new ClassificationMetrics(2);
        whole.add(Nd4j.create(p), Nd4j.create(y));
        ClassificationMetrics a = new ClassificationMetrics(2);
        a.add(Nd4j.create(new double[][] {p[0], p[1]}), Nd4j.create(new double[][] {y[0], y[1]}));
        ClassificationMetrics b = new ClassificationMetrics(2);
        b.add(Nd4j.create(new double[][] {p[2], p[3]}), Nd4j.create(new double[][] {y[2], y[3]}));
        ClassificationMetrics merged = a.merge(b);
        assertEquals(whole.count(), merged.count());
        assertArrayEquals(whole.confusion()[0], merged.confusion()[0]);
        assertArrayEquals(whole.confusion()[1], merged.confusion()[1]);
        assertEquals(whole.lossSum(), merged.lossSum(), 1e-12);
    }
}
