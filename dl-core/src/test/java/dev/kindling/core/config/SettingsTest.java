package dev.kindling.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
    enum Colour implements Choice { DARK_RED, BLUE }

    static final Setting<Integer> EPOCHS = Setting.integer("epochs", 10, Range.atLeast(1), "training epochs");
    static final Setting<Double> LR = Setting.real("lr", "1e-3", Range.above(0), "base learning rate");
    static final Setting<Colour> COLOUR = Setting.choice("colour", Colour.BLUE, Colour.class, "a colour");
    static final Setting<String> DATA = Setting.string("data", null, "dataset URI");
    static final Setting<Long> SEED = Setting.longInteger("seed", 42L, Range.any(), "seed");
    static final Setting<Boolean> SKIP = Setting.flag("skip", false, "skip");
    static final List<Setting<?>> ALL = List.of(EPOCHS, LR, COLOUR, DATA, SEED, SKIP);

    @Test
    void flagsOverrideTheFileWhichOverridesPresetsWhichOverrideDefaults(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run.properties");
        Files.writeString(file, "epochs=7\nlr=0.01\n");
        Settings s = new SettingsLoader(ALL).defaults(Map.of("epochs", "3", "colour", "dark-red", "not-mine", "x")).file(file)
                .apply(Map.of("lr", "0.5"), "on the command line").load();
        assertEquals(7, s.get(EPOCHS));
        assertEquals(0.5, s.get(LR));
        assertEquals(Colour.DARK_RED, s.get(COLOUR), "a preset layer sets what the file and flags leave");
        assertEquals(42L, s.get(SEED));
        assertFalse(s.get(SKIP));
        assertNull(s.get(DATA));
    }

    @Test
    void unknownKeySuggestsTheNearestKeyOfTheCommand() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> new SettingsLoader(ALL).apply(Map.of("epoch", "3"), "on the command line"));
        assertTrue(e.getMessage().contains("unknown config key 'epoch' on the command line"), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean 'epochs'"), e.getMessage());
    }

    @Test
    void keyOfAnotherCommandSaysWhichCommandTakesIt() {
        ConfigException e = assertThrows(ConfigException.class, () -> new SettingsLoader(ALL)
                .elsewhere(name -> name.equals("prompt") ? "generate" : null).apply(Map.of("prompt", "x"), "on the command line"));
        assertTrue(e.getMessage().contains("it is a key of generate, not of this command"), e.getMessage());
    }

    @Test
    void sparkSettingsAreSentToSparksOwnConf() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> new SettingsLoader(ALL).apply(Map.of("spark.executor.memory", "2g"), "in x"));
        assertTrue(e.getMessage().contains("--conf spark.executor.memory"), e.getMessage());
    }

    @Test
    void badValueNamesTheKeyItsRangeAndMeaning() {
        Settings zero = new SettingsLoader(ALL).set(EPOCHS, "0").load();
        ConfigException e = assertThrows(ConfigException.class, () -> zero.get(EPOCHS));
        assertEquals("epochs=0: must be >= 1; training epochs", e.getMessage());
        Settings nan = new SettingsLoader(ALL).set(LR, "NaN").load();
        assertTrue(assertThrows(ConfigException.class, () -> nan.get(LR)).getMessage().startsWith("lr=NaN: must be > 0"));
        Settings word = new SettingsLoader(ALL).set(EPOCHS, "ten").load();
        assertTrue(assertThrows(ConfigException.class, () -> word.get(EPOCHS)).getMessage().startsWith("epochs=ten: not an integer"));
        Settings huge = new SettingsLoader(ALL).set(EPOCHS, "9999999999").load();
        assertTrue(assertThrows(ConfigException.class, () -> huge.get(EPOCHS)).getMessage().startsWith("epochs=9999999999: too large"));
        Settings colour = new SettingsLoader(ALL).set(COLOUR, "green").load();
        assertEquals("colour=green: must be one of dark-red, blue", assertThrows(ConfigException.class, () -> colour.get(COLOUR)).getMessage());
        Settings flag = new SettingsLoader(ALL).set(SKIP, "yes").load();
        assertThrows(ConfigException.class, () -> flag.get(SKIP));
    }

    @Test
    void missingRequiredKeySaysHowToPassIt() {
        ConfigException e = assertThrows(ConfigException.class, () -> Settings.defaults(ALL).require(DATA));
        assertTrue(e.getMessage().contains("--data="), e.getMessage());
    }

    @Test
    void readingAKeyTheCommandDoesNotTakeIsAnErrorAndReadsAreRecorded() {
        Settings s = Settings.defaults(List.of(EPOCHS, LR));
        s.get(EPOCHS);
        assertEquals(java.util.Set.of("epochs"), s.keysRead());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.get(COLOUR));
        assertTrue(e.getMessage().startsWith("--colour is read but is not a key of this command"), e.getMessage());
    }

    @Test
    void aDefaultOutsideItsOwnRangeFailsWhenDeclared() {
        assertThrows(ConfigException.class, () -> Setting.integer("workers", 0, Range.atLeast(1), "workers"));
    }

    @Test
    void rangesPrintAsHelpShowsThem() {
        assertEquals(">= 1", Range.atLeast(1).text());
        assertEquals("> 0", Range.above(0).text());
        assertEquals("[0, 1)", Range.closedOpen(0, 1).text());
        assertEquals("(0, 1]", Range.openClosed(0, 1).text());
        assertEquals("[0.5, 2]", Range.closed(0.5, 2).text());
        assertEquals("", Range.any().text());
        assertTrue(Range.closedOpen(0, 1).contains(0) && !Range.closedOpen(0, 1).contains(1));
    }

    @Test
    void savedPropertiesAreSortedKeyValueLines() {
        Settings s = new SettingsLoader(List.of(EPOCHS, LR)).set(LR, "0.5").load();
        assertEquals("epochs=10\nlr=0.5\n", s.toProperties());
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
        assertEquals(1, SettingsLoader.editDistance("epoch", "epochs"));
        assertEquals(3, SettingsLoader.editDistance("kitten", "sitting"));
        assertEquals("epochs", SettingsLoader.nearest("epoks", List.of("lr", "epochs", "colour")));
    }
}
