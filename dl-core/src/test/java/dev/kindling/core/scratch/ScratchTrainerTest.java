package dev.kindling.core.scratch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ScratchTrainerTest {
    /** The seed's held-out set: 1000 points from a stream of its own. */
    private static final long HELD_OUT_SEED = 7L;

    private static ScratchTrainer.Result seedRun;

    @BeforeAll
    static void runTheSeedOnce() {
        seedRun = ScratchTrainer.run(ScratchTrainer.Spec.tutorial());
    }

    @Test
    void seedRunReachesNinetySevenPercent() {
        QuadrantTask heldOut = QuadrantTask.generate(1000, HELD_OUT_SEED);

        double heldOutAccuracy = seedRun.model().accuracy(heldOut.features(), heldOut.labels());

        assertEquals(100, seedRun.epochs());
        assertTrue(seedRun.trainAccuracy() >= 0.97, () -> "train accuracy " + seedRun.trainAccuracy());
        assertTrue(heldOutAccuracy >= 0.95, () -> "held-out accuracy " + heldOutAccuracy);
        // 16 batches per epoch; the seed's final mean batch loss is well below log(4) = 1.39
        assertTrue(seedRun.finalEpochLossSum() / 16 < 0.2, () -> "loss sum " + seedRun.finalEpochLossSum());
    }

    @Test
    void twoRunsFromTheSameSeedGiveIdenticalLossAndWeights() {
        ScratchTrainer.Result again = ScratchTrainer.run(ScratchTrainer.Spec.tutorial());

        assertEquals(seedRun.finalEpochLossSum(), again.finalEpochLossSum(), 0.0);
        double[][] w1 = seedRun.model().layers().get(2).weights();
        double[][] w2 = again.model().layers().get(2).weights();
        for (int r = 0; r < w1.length; r++) {
            assertArrayEquals(w1[r], w2[r], 0.0);
        }
    }

    @Test
    void anotherSeedGivesAnotherRun() {
        ScratchTrainer.Spec s = ScratchTrainer.Spec.tiny();
        ScratchTrainer.Spec other = new ScratchTrainer.Spec(s.dims(), s.learningRate(), s.batchSize(),
                s.epochs(), s.points(), s.seed() + 1, s.logEvery());

        assertTrue(ScratchTrainer.run(s).finalEpochLossSum() != ScratchTrainer.run(other).finalEpochLossSum());
    }

    @Test
    void trainedSeedNetworkPassesTheSeedsGradientCheck() {
        // The seed's grad_check: the first 64 training points, every W and b of the trained net.
        QuadrantTask data = seedRun.data();
        double[][] xb = Arrays.copyOf(data.features(), 64);
        int[] yb = Arrays.copyOf(data.labels(), 64);
        GradientChecker.Report report = GradientChecker.check(seedRun.model().objective(xb, yb));

        assertTrue(report.worstError() < 1e-6, () -> "gradient check " + report);
    }

    @Test
    void permutationContainsEveryIndexOnce() {
        int[] p = dev.kindling.core.data.SeedTasks.permutation(100, new Random(1));

        int[] sorted = p.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 100; i++) {
            assertEquals(i, sorted[i]);
        }
    }

    @Test
    void rejectsDimsThatDoNotFitTheQuadrantTask() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ScratchTrainer.Spec(new int[] {3, 8, 4}, 0.05, 64, 1, 10, 1L, 1));

        assertTrue(e.getMessage().startsWith("dims=[3, 8, 4]"), e.getMessage());
    }

    @Test
    void specsWithEqualWidthsAreEqual() {
        ScratchTrainer.Spec a = ScratchTrainer.Spec.tutorial();
        ScratchTrainer.Spec b = ScratchTrainer.Spec.tutorial();

        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertTrue(a.toString().contains("dims=[2, 64, 32, 4]"), a.toString());
    }

    @Test
    void specDoesNotShareItsWidthsWithTheCaller() {
        int[] dims = {2, 8, 4};
        ScratchTrainer.Spec spec = new ScratchTrainer.Spec(dims, 0.05, 64, 1, 10, 1L, 1);

        dims[1] = 99;
        spec.dims()[1] = 77;

        assertArrayEquals(new int[] {2, 8, 4}, spec.dims());
    }

    @Test
    void rejectsNonPositiveLearningRate() {
        assertThrows(IllegalArgumentException.class,
                () -> new ScratchTrainer.Spec(new int[] {2, 4}, 0.0, 64, 1, 10, 1L, 1));
    }
}
