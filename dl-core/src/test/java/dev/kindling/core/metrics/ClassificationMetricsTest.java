package dev.kindling.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
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

    @Test
    void topKCountsTheActualClassAmongTheKHighestWithTiesToTheLowerIndex() {
        double[] p = {0.30, 0.25, 0.20, 0.12, 0.08, 0.05};
        double[] flat = {0.2, 0.2, 0.2, 0.2, 0.1, 0.1};
        ClassificationMetrics m = new ClassificationMetrics(6);
        m.add(Nd4j.create(new double[][] {p, p, p, flat}),
                Nd4j.create(new double[][] {oneHot(6, 0), oneHot(6, 2), oneHot(6, 5), oneHot(6, 3)}));
        // ranks of the actual class: 0, 2, 5, 3 (classes 0..2 tie with class 3 and rank first)
        assertEquals(5, m.maxTopK());
        assertEquals(0.25, m.topKAccuracy(1));
        assertEquals(0.25, m.topKAccuracy(2));
        assertEquals(0.5, m.topKAccuracy(3));
        assertEquals(0.75, m.topKAccuracy(4));
        assertEquals(0.75, m.topKAccuracy(5));
        assertEquals(m.accuracy(), m.topKAccuracy(1));
        assertEquals(0.75, m.toJson(List.of()).get("top5_accuracy"));
        assertThrows(IllegalArgumentException.class, () -> m.topKAccuracy(6));
    }

    @Test
    void fewerThanFiveClassesReportTheLargestTopK() {
        ClassificationMetrics m = new ClassificationMetrics(3);
        m.add(Nd4j.create(new double[][] {{0.7, 0.2, 0.1}, {0.1, 0.8, 0.1}, {0.5, 0.3, 0.2}, {0.2, 0.2, 0.6}}),
                Nd4j.create(new double[][] {{1, 0, 0}, {0, 1, 0}, {0, 1, 0}, {0, 0, 1}}));
        assertEquals(1.0, m.topKAccuracy(2));
        Map<String, Object> json = m.toJson(List.of("a", "b", "c"));
        assertEquals(1.0, json.get("top3_accuracy"));
        assertFalse(json.containsKey("top5_accuracy"));
        assertFalse(json.containsKey("roc_auc"));
        assertEquals(List.of("loss", "accuracy", "examples", "macro_f1", "per_class", "confusion", "top3_accuracy"),
                List.copyOf(json.keySet()));
    }

    @Test
    void rocAucCountsTiedPairsAsOneHalf() {
        ClassificationMetrics m = new ClassificationMetrics(2);
        m.add(Nd4j.create(new double[][] {{0.8}, {0.4}, {0.6}, {0.4}, {0.2}}),
                Nd4j.create(new double[][] {{1}, {1}, {1}, {0}, {0}}));
        // positive 0.8 beats both negatives, 0.4 ties 0.4 and beats 0.2, 0.6 beats both: 5.5 of 6 pairs
        assertEquals(11.0 / 12, m.rocAuc());
        Map<String, Object> json = m.toJson(List.of());
        assertEquals(11.0 / 12, json.get("roc_auc"));
        assertEquals(0.8, json.get("top1_accuracy")); // only the positive at 0.4 falls below 1/2
        assertEquals(1, m.maxTopK());
    }

    @Test
    void rocAucIsNullWhenOneLabelIsAbsent() {
        ClassificationMetrics m = new ClassificationMetrics(2);
        m.add(Nd4j.create(new double[][] {{0.8}, {0.3}}), Nd4j.create(new double[][] {{1}, {1}}));
        assertTrue(Double.isNaN(m.rocAuc()));
        Map<String, Object> json = m.toJson(List.of());
        assertTrue(json.containsKey("roc_auc"));
        assertNull(json.get("roc_auc"));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void rocAucEqualsBruteForcePairCountOnTiedScores(long seed) {
        Random random = new Random(seed);
        int n = 300;
        double[][] p = new double[n][1];
        double[][] y = new double[n][1];
        for (int i = 0; i < n; i++) {
            p[i][0] = random.nextInt(25) / 24.0; // 25 levels: many ties, including 0 and 1
            y[i][0] = random.nextDouble() < 0.3 + 0.4 * p[i][0] ? 1 : 0;
        }
        ClassificationMetrics m = new ClassificationMetrics(2);
        m.add(Nd4j.create(p), Nd4j.create(y));
        long twiceU = 0;
        long positives = 0;
        for (int i = 0; i < n; i++) {
            if (y[i][0] == 1) {
                positives++;
                for (int j = 0; j < n; j++) {
                    if (y[j][0] == 0) {
                        float si = (float) p[i][0];
                        float sj = (float) p[j][0];
                        twiceU += si > sj ? 2 : si == sj ? 1 : 0;
                    }
                }
            }
        }
        assertEquals(twiceU / (2.0 * positives * (n - positives)), m.rocAuc());
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void mergedPartsEqualTheWholeForABinaryHead(long seed) {
        Random random = new Random(seed);
        int n = 100;
        double[][] p = new double[n][1];
        double[][] y = new double[n][1];
        for (int i = 0; i < n; i++) {
            p[i][0] = i % 3 == 0 ? random.nextInt(10) / 9.0 : random.nextDouble(); // a third tied on 10 levels
            y[i][0] = random.nextInt(2);
        }
        ClassificationMetrics whole = new ClassificationMetrics(2);
        whole.add(Nd4j.create(p), Nd4j.create(y));
        ClassificationMetrics merged = new ClassificationMetrics(2);
        for (int[] r : Split.unevenShuffled(n, 3 + (int) (seed % 2), random)) {
            ClassificationMetrics part = new ClassificationMetrics(2);
            part.add(Nd4j.create(Arrays.copyOfRange(p, r[0], r[1])), Nd4j.create(Arrays.copyOfRange(y, r[0], r[1])));
            merged.merge(part);
        }
        assertSameCounts(whole, merged);
        assertEquals(whole.rocAuc(), merged.rocAuc());
        assertEquals(whole.toJson(List.of()).keySet(), merged.toJson(List.of()).keySet());
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void mergedPartsEqualTheWholeForASoftmaxHead(long seed) {
        Random random = new Random(seed);
        int n = 100;
        int classes = 7;
        double[][] p = new double[n][classes];
        double[][] y = new double[n][];
        for (int i = 0; i < n; i++) {
            double total = 0;
            for (int c = 0; c < classes; c++) {
                p[i][c] = 1 + random.nextInt(4); // ties between classes are common
                total += p[i][c];
            }
            for (int c = 0; c < classes; c++) {
                p[i][c] /= total;
            }
            y[i] = oneHot(classes, random.nextInt(classes));
        }
        ClassificationMetrics whole = new ClassificationMetrics(classes);
        whole.add(Nd4j.create(p), Nd4j.create(y));
        ClassificationMetrics merged = new ClassificationMetrics(classes);
        for (int[] r : Split.unevenShuffled(n, 3 + (int) (seed % 2), random)) {
            ClassificationMetrics part = new ClassificationMetrics(classes);
            part.add(Nd4j.create(Arrays.copyOfRange(p, r[0], r[1])), Nd4j.create(Arrays.copyOfRange(y, r[0], r[1])));
            merged.merge(part);
        }
        assertSameCounts(whole, merged);
        assertTrue(Double.isNaN(merged.rocAuc()));
    }

    @Test
    void rejectsBinaryAndSoftmaxOutputsInOneInstance() {
        ClassificationMetrics binary = new ClassificationMetrics(2);
        binary.add(Nd4j.create(new double[][] {{0.9}}), Nd4j.create(new double[][] {{1}}));
        ClassificationMetrics softmax = new ClassificationMetrics(2);
        softmax.add(Nd4j.create(new double[][] {{0.9, 0.1}}), Nd4j.create(new double[][] {{1, 0}}));
        assertThrows(IllegalArgumentException.class,
                () -> binary.add(Nd4j.create(new double[][] {{0.9, 0.1}}), Nd4j.create(new double[][] {{1, 0}})));
        assertThrows(IllegalArgumentException.class, () -> softmax.merge(binary));
    }

    private static void assertSameCounts(ClassificationMetrics whole, ClassificationMetrics merged) {
        assertEquals(whole.count(), merged.count());
        assertArrayEquals(whole.confusion(), merged.confusion());
        for (int k = 1; k <= whole.maxTopK(); k++) {
            assertEquals(whole.topKAccuracy(k), merged.topKAccuracy(k));
        }
        assertEquals(whole.maxTopK(), merged.maxTopK());
        assertEquals(whole.lossSum(), merged.lossSum(), 1e-9 * Math.abs(whole.lossSum()));
    }

    private static double[] oneHot(int classes, int c) {
        double[] v = new double[classes];
        v[c] = 1;
        return v;
    }
}
