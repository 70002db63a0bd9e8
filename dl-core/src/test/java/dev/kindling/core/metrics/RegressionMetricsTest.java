package dev.kindling.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

class RegressionMetricsTest {

    @Test
    void errorsAndR2OfASmallBatchMatchHandComputedValues() {
        RegressionMetrics m = new RegressionMetrics(2);
        m.add(Nd4j.create(new double[][] {{1, 2}, {3, 5}}), Nd4j.create(new double[][] {{1, 1}, {2, 4}}),
                Nd4j.create(new double[][] {{0, 1}, {2, 2}}));
        // errors 0, 1, 1, 1; baseline errors -1, 0, 0, -2; SST = (5 - 3²/2) + (17 - 5²/2) = 0.5 + 4.5
        assertEquals(2, m.examples());
        assertEquals(0.75, m.mse());
        assertEquals(0.75, m.mae());
        assertEquals(Math.sqrt(0.75), m.rmse());
        assertEquals(5.0, m.totalSumOfSquares());
        assertEquals(1 - 3.0 / 5, m.r2());
        assertEquals(1.25, m.baselineMse());
        assertEquals(0.75, m.baselineMae());
        assertEquals(Math.sqrt(1.25), m.baselineRmse());
        Map<String, Object> json = m.toJson();
        assertEquals(List.of("mse", "mae", "rmse", "r2", "examples", "baseline_mse", "baseline_mae", "baseline_rmse"),
                List.copyOf(json.keySet()));
        assertEquals(2L, json.get("examples"));
        assertEquals(1.25, json.get("baseline_mse"));
    }

    @Test
    void withoutABaselineTheJsonHasNoBaselineKeys() {
        RegressionMetrics m = new RegressionMetrics(1);
        m.add(Nd4j.create(new double[] {1, 2, 4}), Nd4j.create(new double[] {1, 3, 3}));
        assertEquals(List.of("mse", "mae", "rmse", "r2", "examples"), List.copyOf(m.toJson().keySet()));
        assertEquals(2.0 / 3, m.mse());
        assertTrue(Double.isNaN(m.baselineMse()));
    }

    @Test
    void constantTargetsLeaveR2Undefined() {
        RegressionMetrics m = new RegressionMetrics(1);
        m.add(Nd4j.create(new double[][] {{1}, {2}}), Nd4j.create(new double[][] {{3}, {3}}));
        assertTrue(Double.isNaN(m.r2()));
        assertNull(m.toJson().get("r2"));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void r2MatchesATwoPassComputationAboutEachColumnMean(long seed) {
        Random random = new Random(seed);
        double[][] y = new double[100][3];
        double[][] p = new double[100][3];
        fill(random, y, p, null);
        RegressionMetrics m = new RegressionMetrics(3);
        m.add(Nd4j.create(p), Nd4j.create(y));
        double sse = 0;
        double sst = 0;
        for (int j = 0; j < 3; j++) {
            double mean = 0;
            for (double[] row : y) {
                mean += row[j] / y.length;
            }
            for (int i = 0; i < y.length; i++) {
                sst += (y[i][j] - mean) * (y[i][j] - mean);
                sse += (p[i][j] - y[i][j]) * (p[i][j] - y[i][j]);
            }
        }
        assertEquals(1 - sse / sst, m.r2(), 1e-12);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void mergedPartsEqualTheWhole(long seed) {
        Random random = new Random(seed);
        int n = 100;
        double[][] y = new double[n][3];
        double[][] p = new double[n][3];
        double[][] base = new double[n][3];
        fill(random, y, p, base);
        RegressionMetrics whole = new RegressionMetrics(3);
        whole.add(Nd4j.create(p), Nd4j.create(y), Nd4j.create(base));
        RegressionMetrics merged = new RegressionMetrics(3);
        for (int[] r : Split.unevenShuffled(n, 3 + (int) (seed % 2), random)) {
            RegressionMetrics part = new RegressionMetrics(3);
            part.add(Nd4j.create(Arrays.copyOfRange(p, r[0], r[1])), Nd4j.create(Arrays.copyOfRange(y, r[0], r[1])),
                    Nd4j.create(Arrays.copyOfRange(base, r[0], r[1])));
            merged.merge(part);
        }
        assertEquals(whole.examples(), merged.examples());
        assertEquals(whole.baselineExamples(), merged.baselineExamples());
        assertClose(whole.mse(), merged.mse());
        assertClose(whole.mae(), merged.mae());
        assertClose(whole.totalSumOfSquares(), merged.totalSumOfSquares());
        assertClose(whole.r2(), merged.r2());
        assertClose(whole.baselineMse(), merged.baselineMse());
        assertClose(whole.baselineMae(), merged.baselineMae());
    }

    @Test
    void rejectsPredictionsOfTheWrongWidth() {
        RegressionMetrics m = new RegressionMetrics(3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.add(Nd4j.create(new double[][] {{1, 2}}), Nd4j.create(new double[][] {{1, 2}})));
        assertEquals("predictions=[1, 2]: must be [b, 3]; columns come from the constructor", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.merge(new RegressionMetrics(2)));
    }

    /** Targets with a mean offset per column, predictions near them, a baseline further off. */
    private static void fill(Random random, double[][] y, double[][] p, double[][] base) {
        for (int i = 0; i < y.length; i++) {
            for (int j = 0; j < y[i].length; j++) {
                y[i][j] = 3 * j + random.nextGaussian();
                p[i][j] = y[i][j] + 0.3 * random.nextGaussian();
                if (base != null) {
                    base[i][j] = y[i][j] + random.nextGaussian();
                }
            }
        }
    }

    private static void assertClose(double expected, double actual) {
        assertEquals(expected, actual, 1e-9 * Math.abs(expected));
    }
}
