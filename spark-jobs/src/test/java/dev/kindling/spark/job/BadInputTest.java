package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.config.ConfigException;
import dev.kindling.spark.config.TestSettings;
import dev.kindling.spark.config.TrainConfig;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each bad input gives a one-line error, exit code 2 (1 for a corrupt file), and leaves no --out behind. */
class BadInputTest {
    @TempDir
    static Path dir;
    static String sum;
    static String quadrants;

    @BeforeAll
    static void prepare() {
        sum = dir.resolve("sum").toString();
        quadrants = dir.resolve("quadrants").toString();
        assertEquals(0, Cli.run("prepare-data", "--dataset=seed-sum", "--out=" + sum).exit());
        assertEquals(0, Cli.run("prepare-data", "--dataset=seed-quadrants", "--out=" + quadrants).exit());
    }

    private static void assertUsageError(Path out, String expected, String... args) {
        assertError(2, out, expected, args);
    }

    private static void assertError(int exit, Path out, String expected, String... args) {
        Cli r = Cli.run(args);
        assertEquals(exit, r.exit(), r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertFalse(Files.exists(out), out + " was created");
    }

    @Test
    void missingDataset() {
        Path out = dir.resolve("o1");
        assertUsageError(out, "prepare it first", "train", "--data=" + dir.resolve("nowhere"), "--out=" + out, "--dist=local");
    }

    @Test
    void unknownConfigKeySuggestsTheNearest() {
        Path out = dir.resolve("o2");
        assertUsageError(out, "did you mean 'epochs'", "train", "--data=" + sum, "--out=" + out, "--epoch=3");
    }

    @Test
    void unknownModelListsTheValidOnes() {
        Path out = dir.resolve("o3");
        assertUsageError(out, "model=resnet9000: must be one of mlp, scratch-mlp", "train", "--model=resnet9000", "--data=" + sum, "--out=" + out);
    }

    @Test
    void datasetThatDoesNotFitTheModel() {
        Path out = dir.resolve("o4");
        assertUsageError(out, "binary labels", "train", "--model=scratch-mlp", "--dist=local", "--data=" + sum, "--out=" + out);
    }

    @Test
    void modelEvaluatedOnDataOfAnotherShape() {
        String run = dir.resolve("run-q").toString();
        Cli train = Cli.run("train", "--model=mlp", "--dist=local", "--epochs=1", "--data=" + quadrants, "--out=" + run);
        assertEquals(0, train.exit(), train.err());
        Path out = dir.resolve("o5");
        assertUsageError(out, "the model was trained on classification, [2] with 4 classes", "evaluate", "--model-path=" + run + "/model.zip",
                "--data=" + sum, "--dist=local", "--out=" + out);
    }

    @Test
    void valueOutOfRange() {
        Path out = dir.resolve("o6");
        assertUsageError(out, "epochs=0: must be >= 1", "train", "--data=" + sum, "--out=" + out, "--epochs=0");
    }

    @Test
    void corruptModelZipFailsWithExitOneNamingTheFile() throws Exception {
        Path zip = dir.resolve("broken.zip");
        Files.write(zip, new byte[] {'P', 'K', 3, 4, 0, 0});
        Path out = dir.resolve("o7");
        assertError(1, out, "broken.zip: not a readable Kindling model zip", "evaluate", "--model-path=" + zip, "--data=" + sum,
                "--dist=local", "--out=" + out);
    }

    @Test
    void existingRunDirectoryIsNeverOverwritten() throws Exception {
        Path out = Files.createDirectories(dir.resolve("taken"));
        Cli r = Cli.run("train", "--data=" + sum, "--out=" + out, "--dist=local");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("already exists"), r.err());
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 2, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang in Aeron would never return
    void aeronPortInUseIsNamedBeforeTrainingInsteadOfAHang() throws Exception {
        Path out = dir.resolve("o8");
        try (java.net.DatagramSocket blocker = new java.net.DatagramSocket(0, java.net.InetAddress.getByName("127.0.0.1"))) {
            assertUsageError(out, "aeron-port=" + blocker.getLocalPort() + ": UDP port on 127.0.0.1 is in use", "train", "--data=" + sum,
                    "--out=" + out, "--dist=shared", "--encoding=threshold", "--aeron-port=" + blocker.getLocalPort());
        }
    }

    @Test
    void sharedMasterKeysOutOfRangeAreNamedAtTheStart() {
        Path out = dir.resolve("o12");
        assertUsageError(out, "residual-clip", "train", "--data=" + sum, "--out=" + out, "--dist=shared", "--residual-clip=0.5");
        assertUsageError(out, "max-update-density", "train", "--data=" + sum, "--out=" + out, "--dist=shared", "--max-update-density=2");
        assertUsageError(out, "averaging-frequency", "train", "--data=" + sum, "--out=" + out, "--dist=averaging", "--averaging-frequency=0");
        assertUsageError(out, "encoding", "train", "--data=" + sum, "--out=" + out, "--dist=shared", "--encoding=sparse");
        assertUsageError(out, "peer-timeout-seconds", "train", "--data=" + sum, "--out=" + out, "--dist=shared", "--encoding=dense",
                "--peer-timeout-seconds=0");
        assertUsageError(out, "topk-density", "train", "--data=" + sum, "--out=" + out, "--dist=shared", "--encoding=topk",
                "--topk-density=0");
        assertUsageError(out, "transport=hierarchical sums dense gradients", "train", "--data=" + sum, "--out=" + out, "--dist=shared",
                "--encoding=topk", "--transport=hierarchical");
        assertUsageError(out, "transport=halving sums dense gradients", "train", "--data=" + sum, "--out=" + out, "--dist=shared",
                "--encoding=topk", "--transport=halving");
        // named by the plan, which runs before any Spark context or shard check
        ConfigException e = assertThrows(ConfigException.class,
                () -> TrainingPlan.of(TrainConfig.from(TestSettings.of("data", sum, "out", out.toString(), "dist", "shared",
                        "residual-clip", "0.5")), new HadoopStorage()));
        assertTrue(e.getMessage().contains("residual-clip"), e.getMessage());
    }

    @Test
    void preflightReportsEveryCheckAndPassesOnAGoodConfig() throws Exception {
        Path out = dir.resolve("o9");
        Cli r = Cli.run("preflight", "--data=" + sum, "--out=" + out, "--dist=shared");
        assertEquals(0, r.exit(), r.err());
        String json = r.lastLine();
        for (String check : new String[] {"data", "out", "barrier-mode", "executor-memory"}) {
            assertTrue(json.contains("\"check\":\"" + check + "\""), json);
        }
        String legacy = Cli.run("preflight", "--data=" + sum, "--out=" + out, "--dist=shared", "--encoding=threshold",
                "--aeron-port=" + Cli.freeUdpPort()).lastLine();
        for (String check : new String[] {"aeron-port", "shared-memory", "controller"}) {
            assertTrue(legacy.contains("\"check\":\"" + check + "\""), legacy);
        }
        assertFalse(Files.exists(out));
        try (Stream<Path> s = Files.list(dir)) {
            assertTrue(s.noneMatch(f -> f.getFileName().toString().startsWith("o9")), "the write probe is removed");
        }
    }

    @Test
    void corruptShardFailsTheRunUnlessSkippedAndIsReported() throws Exception {
        Path copy = dir.resolve("sum-corrupt");
        try (Stream<Path> files = Files.walk(Path.of(sum))) {
            for (Path p : files.toList()) {
                Files.copy(p, copy.resolve(Path.of(sum).relativize(p).toString()));
            }
        }
        Path shard = copy.resolve("train").resolve("part-00002.bin");
        byte[] b = Files.readAllBytes(shard);
        Files.write(shard, java.util.Arrays.copyOf(b, b.length - 100));
        Path out = dir.resolve("o10");
        assertError(1, out, "part-00002.bin: unreadable (Checksum error", "train", "--dist=local", "--epochs=1", "--data=" + copy, "--out=" + out);
        Cli skipped = Cli.run("train", "--dist=local", "--epochs=1", "--data=" + copy, "--out=" + out, "--skip-bad-shards=true");
        assertEquals(0, skipped.exit(), skipped.err());
        String report = skipped.lastLine();
        assertTrue(report.contains("\"bad_shards\":[\"") && report.contains("part-00002.bin"), report);
        assertTrue(report.contains("\"train\":1536"), report);
    }

    @Test
    void helpIsAvailableForEveryCommand() {
        for (Command c : Command.values()) {
            Cli r = Cli.run(c.cliName, "--help");
            assertEquals(0, r.exit());
            assertTrue(r.out().startsWith("usage: scripts/kindling " + c.cliName), r.out());
        }
        assertEquals(2, Cli.run("trian").exit());
    }
}
