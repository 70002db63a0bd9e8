package dev.kindling.spark.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.config.Config;
import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Keys;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;
import org.junit.jupiter.api.Test;

class MastersTest {

    @Test
    void thresholdAndUpdateDensityReachDl4jsAdaptiveThreshold() {
        AdaptiveThresholdAlgorithm defaults = Masters.thresholdAlgorithm(Config.defaults());
        assertEquals(new AdaptiveThresholdAlgorithm(1e-3, 1e-4, 1e-2, AdaptiveThresholdAlgorithm.DEFAULT_DECAY_RATE), defaults);
        AdaptiveThresholdAlgorithm dense = Masters.thresholdAlgorithm(Config.defaults().with(Keys.THRESHOLD, "1e-4")
                .with(Keys.MAX_UPDATE_DENSITY, "0.2"));
        assertEquals(new AdaptiveThresholdAlgorithm(1e-4, 1e-4, 0.2, AdaptiveThresholdAlgorithm.DEFAULT_DECAY_RATE), dense);
        AdaptiveThresholdAlgorithm tiny = Masters.thresholdAlgorithm(Config.defaults().with(Keys.MAX_UPDATE_DENSITY, "1e-5"));
        assertEquals(new AdaptiveThresholdAlgorithm(1e-3, 1e-5, 1e-5, AdaptiveThresholdAlgorithm.DEFAULT_DECAY_RATE), tiny,
                "the minimum density never exceeds the maximum");
        for (String bad : new String[] {"0", "1.5", "x"}) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> Masters.thresholdAlgorithm(Config.defaults().with(Keys.MAX_UPDATE_DENSITY, bad)));
            assertTrue(e.getMessage().contains("max-update-density"), e.getMessage());
        }
    }
}
