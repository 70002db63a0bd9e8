package dev.kindling.spark.config;

import dev.kindling.core.config.Settings;
import dev.kindling.core.config.SettingsLoader;
import java.util.LinkedHashMap;
import java.util.Map;

/** Settings for tests, as the command line would give them: {@code of("dist", "shared", "lr", "0.05")}. */
public final class TestSettings {

    /** {@code train}'s keys (every record of a training run) with these values over the defaults. */
    public static Settings of(String... keyValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return new SettingsLoader(TrainConfig.SETTINGS).apply(m, "in a test").load();
    }

    private TestSettings() {}
}
