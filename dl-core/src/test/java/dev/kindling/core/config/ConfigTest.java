package dev.kindling.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {

    @Test
    void flagsOverrideTheFileWhichOverridesDefaults(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run.properties");
        Files.writeString(file, "epochs=7\nlr=0.01\n");
        Config c = Config.builder().file(file).apply(Map.of("lr", "0.5"), "on the command line").build();
        assertEquals(7, c.intValue(Keys.EPOCHS, n -> n >= 1));
        assertEquals(0.5, c.doubleValue(Keys.LR, v -> v > 0));
        assertEquals("shared", c.string(Keys.DIST));
    }

    @Test
    void unknownKeySuggestsTheNearestValidKey() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Config.builder().apply(Map.of("epoch", "3"), "on the command line"));
        assertTrue(e.getMessage().contains("unknown config key 'epoch'"), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean 'epochs'"), e.getMessage());
    }

    @Test
    void sparkSettingsAreSentToSparksOwnConf() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Config.builder().apply(Map.of("spark.executor.memory", "2g"), "in x"));
        assertTrue(e.getMessage().contains("--conf spark.executor.memory"), e.getMessage());
    }

    @Test
    void outOfRangeValueNamesTheKeyAndItsRange() {
        Config c = Config.builder().set(Keys.EPOCHS, "0").build();
        ConfigException e = assertThrows(ConfigException.class, () -> c.intValue(Keys.EPOCHS, n -> n >= 1));
        assertTrue(e.getMessage().startsWith("epochs=0: out of range; training epochs (>= 1)"), e.getMessage());
        Config nan = Config.builder().set(Keys.LR, "NaN").build();
        assertThrows(ConfigException.class, () -> nan.doubleValue(Keys.LR, v -> v > 0));
    }

    @Test
    void missingRequiredKeySaysHowToPassIt() {
        ConfigException e = assertThrows(ConfigException.class, () -> Config.defaults().string(Keys.DATA));
        assertTrue(e.getMessage().contains("--data="), e.getMessage());
    }

    @Test
    void commandLineAcceptsBothFlagFormsAndOneConfigFile() {
        CommandLine cl = CommandLine.parse("train", "job.properties", "--epochs=3", "--model", "mlp", "--help");
        assertEquals("train", cl.command());
        assertEquals(Path.of("job.properties"), cl.configFile());
        assertEquals(Map.of("epochs", "3", "model", "mlp"), cl.flags());
        assertTrue(cl.help());
        assertFalse(CommandLine.parse("train", "--epochs=3").help());
        assertThrows(ConfigException.class, () -> CommandLine.parse("train", "stray"));
        assertThrows(ConfigException.class, () -> CommandLine.parse("train", "--epochs"));
    }

    @Test
    void editDistanceCountsInsertionsDeletionsAndSubstitutions() {
        assertEquals(1, Config.editDistance("epoch", "epochs"));
        assertEquals(3, Config.editDistance("kitten", "sitting"));
        assertEquals("batch-size", Config.nearest("batchsize", java.util.List.copyOf(Keys.all().keySet())));
    }
}
