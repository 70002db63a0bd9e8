package dev.kindling.spark.legacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.config.ConfigException;
import dev.kindling.spark.config.DistConfig;
import dev.kindling.spark.config.TestSettings;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class MastersTest {

    static DistConfig dist(String... keyValues) {
        return DistConfig.from(TestSettings.of(keyValues));
    }


    @Test
    void thresholdAndUpdateDensityReachDl4jsAdaptiveThreshold() {
        AdaptiveThresholdAlgorithm defaults = Masters.thresholdAlgorithm(dist());
        assertEquals(new AdaptiveThresholdAlgorithm(1e-3, 1e-4, 1e-2, AdaptiveThresholdAlgorithm.DEFAULT_DECAY_RATE), defaults);
        AdaptiveThresholdAlgorithm dense = Masters.thresholdAlgorithm(dist("threshold", "1e-4", "max-update-density", "0.2"));
        assertEquals(new AdaptiveThresholdAlgorithm(1e-4, 1e-4, 0.2, AdaptiveThresholdAlgorithm.DEFAULT_DECAY_RATE), dense);
        AdaptiveThresholdAlgorithm tiny = Masters.thresholdAlgorithm(dist("max-update-density", "1e-5"));
        assertEquals(new AdaptiveThresholdAlgorithm(1e-3, 1e-5, 1e-5, AdaptiveThresholdAlgorithm.DEFAULT_DECAY_RATE), tiny,
                "the minimum density never exceeds the maximum");
        for (String bad : new String[] {"0", "1.5", "x"}) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> Masters.thresholdAlgorithm(dist("max-update-density", bad)));
            assertTrue(e.getMessage().contains("max-update-density"), e.getMessage());
        }
    }

    @Test
    void residualClipIsDl4jsClippingByDefaultAndZeroKeepsTheWholeResidual() {
        float[] residual = {0.9f, -2f, 0.3f};
        INDArray clipped = Nd4j.createFromArray(residual);
        Masters.residualPostProcessor(dist()).processResidual(5, 0, 0.1, clipped);
        assertArrayEquals(new float[] {0.5f, -0.5f, 0.3f}, clipped.toFloatVector(), 1e-6f, "5 x threshold 0.1, every 5 steps");
        INDArray kept = Nd4j.createFromArray(residual);
        Masters.residualPostProcessor(dist("residual-clip", "0")).processResidual(5, 0, 0.1, kept);
        assertArrayEquals(residual, kept.toFloatVector());
        INDArray wider = Nd4j.createFromArray(residual);
        Masters.residualPostProcessor(dist("residual-clip", "10")).processResidual(5, 0, 0.1, wider);
        assertArrayEquals(new float[] {0.9f, -1f, 0.3f}, wider.toFloatVector(), 1e-6f);
        for (String bad : new String[] {"0.5", "-1", "x"}) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> Masters.residualPostProcessor(dist("residual-clip", bad)));
            assertTrue(e.getMessage().contains("residual-clip"), e.getMessage());
        }
    }
}
