package dev.kindling.core.scratch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScratchMlpTest {

    @Test
    void seedsNetworkHasTheSeedsParameterCount() {
        ScratchMlp net = ScratchMlp.create(new int[] {2, 64, 32, 4}, 42L);

        // 2*64+64 + 64*32+32 + 32*4+4
        assertEquals(2404, net.parameterCount());
        assertEquals(6, net.parameters().size());
    }

    @Test
    void logitsHaveOneRowPerExampleAndOneColumnPerClass() {
        ScratchMlp net = ScratchMlp.create(new int[] {2, 8, 6, 4}, 1L);

        double[][] logits = net.logits(new double[5][2]);

        assertEquals(5, logits.length);
        assertEquals(4, logits[0].length);
    }

    @Test
    void heInitializationHasStandardDeviationSqrtTwoOverFanInAndZeroBias() {
        int in = 200;
        Layer layer = Layer.he(in, 300, new Random(5));

        double sum = 0;
        double sumSq = 0;
        int n = 0;
        for (double[] row : layer.weights()) {
            for (double v : row) {
                sum += v;
                sumSq += v * v;
                n++;
            }
        }
        double mean = sum / n;
        double std = Math.sqrt(sumSq / n - mean * mean);

        assertEquals(Math.sqrt(2.0 / in), std, 0.02 * Math.sqrt(2.0 / in));
        assertEquals(0.0, mean, 0.003);
        assertArrayEquals(new double[300], layer.bias()[0], 0.0);
    }

    @Test
    void sameSeedGivesIdenticalWeightsAndAnotherSeedDifferent() {
        int[] dims = {2, 8, 4};

        double[][] a = ScratchMlp.create(dims, 9L).layers().get(0).weights();
        double[][] b = ScratchMlp.create(dims, 9L).layers().get(0).weights();
        double[][] c = ScratchMlp.create(dims, 10L).layers().get(0).weights();

        assertArrayEquals(a[0], b[0], 0.0);
        assertTrue(a[0][0] != c[0][0]);
    }

    @Test
    void inferenceBetweenForwardAndBackwardLeavesTheGradientsUnchanged() {
        QuadrantTask batch = QuadrantTask.generate(16, 2L);
        ScratchMlp plain = ScratchMlp.create(new int[] {2, 8, 6, 4}, 1L);
        ScratchMlp interrupted = ScratchMlp.create(new int[] {2, 8, 6, 4}, 1L);

        plain.forward(batch.features(), batch.labels());
        plain.backward();
        interrupted.forward(batch.features(), batch.labels());
        interrupted.predict(QuadrantTask.generate(7, 3L).features());
        interrupted.backward();

        for (int i = 0; i < plain.parameters().size(); i++) {
            double[][] g1 = plain.parameters().get(i).gradient();
            double[][] g2 = interrupted.parameters().get(i).gradient();
            for (int r = 0; r < g1.length; r++) {
                assertArrayEquals(g1[r], g2[r], 0.0);
            }
        }
    }

    @Test
    void sgdStepLowersTheLossOnTheSameBatch() {
        QuadrantTask batch = QuadrantTask.generate(64, 2L);
        ScratchMlp net = ScratchMlp.create(new int[] {2, 16, 4}, 1L);

        double before = net.forward(batch.features(), batch.labels());
        net.backward();
        net.step(0.05);
        double after = net.forward(batch.features(), batch.labels());

        assertTrue(after < before, () -> "loss " + before + " -> " + after);
    }

    @Test
    void softmaxOfHugeLogitsIsFiniteAndSumsToOne() {
        double[][] p = SoftmaxCrossEntropy.softmax(new double[][] {{1000.0, 0.0, -1000.0}});

        assertEquals(1.0, p[0][0] + p[0][1] + p[0][2], 1e-15);
        assertEquals(1.0, p[0][0], 1e-15);
        assertTrue(Double.isFinite(new SoftmaxCrossEntropy().forward(new double[][] {{1000.0, 0.0}},
                new int[] {1})));
    }

    @Test
    void crossEntropyOfUniformLogitsIsLogOfClassCount() {
        double loss = new SoftmaxCrossEntropy().forward(new double[3][4], new int[] {0, 1, 3});

        assertEquals(Math.log(4), loss, 1e-8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "4", "2,0,4"})
    void rejectsDimsWithoutTwoPositiveWidths(String csv) {
        int[] dims = csv.isEmpty() ? new int[0]
                : java.util.Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();

        assertThrows(IllegalArgumentException.class, () -> ScratchMlp.create(dims, 1L));
    }

    @Test
    void rejectsLabelsOutsideTheClassRange() {
        ScratchMlp net = ScratchMlp.create(new int[] {2, 4}, 1L);

        assertThrows(IllegalArgumentException.class,
                () -> net.forward(new double[1][2], new int[] {4}));
    }
}
