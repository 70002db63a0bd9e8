package dev.kindling.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.io.InputException;
import dev.kindling.core.io.LocalStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** Hostile and corrupt datasets are caught before training, each naming the file and the fix. */
class ShardCheckTest {
    private final LocalStorage storage = new LocalStorage();

    private String prepared(Path dir) throws Exception {
        String out = dir.resolve("q").toString();
        DatasetWriter.write(storage, out, SeedTasks.quadrants(4), 64, 4);
        return out;
    }

    private ShardCheck.Report check(String data, boolean skip) {
        Manifest m = Shards.manifest(storage, data);
        return ShardCheck.report(ShardCheck.checkAll(storage, data, m), m, data, skip);
    }

    @Test
    void aCleanDatasetPassesWithTrueCounts(@TempDir Path dir) throws Exception {
        ShardCheck.Report r = check(prepared(dir), false);
        assertEquals(0, r.bad().size());
        assertEquals(1000L, r.examples().get("train"));
        assertEquals(16, r.usable().get("train").size());
    }

    @Test
    void aFlippedByteFailsTheRunOrIsSkippedWhenAsked(@TempDir Path dir) throws Exception {
        String data = prepared(dir);
        Path shard = Path.of(data, Manifest.shardName("train", 3));
        byte[] b = Files.readAllBytes(shard);
        b[b.length - 7] ^= 0x10; // inside the float data: still decodes, silently different without a checksum
        Files.write(shard, b);
        InputException e = assertThrows(InputException.class, () -> check(data, false));
        assertTrue(e.getMessage().contains("part-00003.bin") && e.getMessage().contains("checksum")
                && e.getMessage().contains("--skip-bad-shards"), e.getMessage());
        ShardCheck.Report skipped = check(data, true);
        assertEquals(1, skipped.bad().size());
        assertEquals(15, skipped.usable().get("train").size());
        assertEquals(936L, skipped.examples().get("train"));
    }

    @Test
    void wrongShapesAndNonFiniteFeaturesAreNamedByRecord(@TempDir Path dir) throws Exception {
        String data = prepared(dir);
        Manifest m = Shards.manifest(storage, data);
        DataSet wide = new DataSet(Nd4j.rand(4, 3), Nd4j.eye(4));
        byte[] wideBytes = DatasetWriter.serialize(wide);
        ShardCheck.Result shape = ShardCheck.check("train", "w.bin", wideBytes, ShardCheck.crc32(wideBytes), m);
        assertTrue(shape.problem.contains("features [4, 3]") && shape.problem.contains("expected [b, 2]"), shape.problem);
        DataSet nan = new DataSet(Nd4j.zeros(5, 2), Nd4j.eye(4).getRows(0, 1, 2, 3, 0));
        nan.getFeatures().putScalar(3, 1, Double.NaN);
        byte[] nanBytes = DatasetWriter.serialize(nan);
        ShardCheck.Result nonFinite = ShardCheck.check("train", "n.bin", nanBytes, ShardCheck.crc32(nanBytes), m);
        assertTrue(nonFinite.problem.contains("NaN at record 3, column 1"), nonFinite.problem);
    }

    @Test
    void aManifestThatLiesAboutCountsIsNamed(@TempDir Path dir) throws Exception {
        String data = prepared(dir);
        Path manifest = Path.of(data, Manifest.FILE);
        Files.writeString(manifest, Files.readString(manifest).replace("\"examples\" : 1000", "\"examples\" : 1200"));
        InputException e = assertThrows(InputException.class, () -> check(data, false));
        assertTrue(e.getMessage().contains("says split train has 1200 examples but its shards hold 1000"), e.getMessage());
    }

    /**
     * Random truncations and byte flips of shards and of the manifest: every case ends within seconds,
     * either with a named error or with a dataset whose structure and shard bytes are the originals.
     */
    @Test
    void fuzzedDatasetsNeverHangAndNeverPassChanged(@TempDir Path dir) throws Exception {
        String data = prepared(dir);
        Map<Path, byte[]> originals = new LinkedHashMap<>();
        try (var files = Files.walk(Path.of(data))) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                originals.put(p, Files.readAllBytes(p));
            }
        }
        Manifest original = Shards.manifest(storage, data);
        List<Path> targets = new ArrayList<>(originals.keySet());
        Random rng = new Random(20261127);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        int cases = 60;
        int caught = 0;
        try {
            for (int i = 0; i < cases; i++) {
                Path target = rng.nextInt(4) == 0 ? Path.of(data, Manifest.FILE) : targets.get(rng.nextInt(targets.size()));
                byte[] bytes = originals.get(target).clone();
                byte[] mutated = rng.nextBoolean()
                        ? java.util.Arrays.copyOf(bytes, rng.nextInt(bytes.length))
                        : flip(bytes, rng, 1 + rng.nextInt(3));
                Files.write(target, mutated);
                Future<ShardCheck.Report> run = pool.submit(() -> check(data, false));
                try {
                    run.get(30, TimeUnit.SECONDS);
                    Manifest after = Shards.manifest(storage, data);
                    assertEquals(original.splits(), after.splits(), "case " + i + ": passed with changed counts or checksums");
                    assertEquals(original.labelWidth(), after.labelWidth(), "case " + i);
                    assertEquals(original.featureWidth(), after.featureWidth(), "case " + i);
                    assertEquals(original.batchSize(), after.batchSize(), "case " + i);
                    if (!target.endsWith(Manifest.FILE)) {
                        assertTrue(java.util.Arrays.equals(bytes, mutated), "case " + i + ": a changed shard passed");
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable cause = e.getCause();
                    assertTrue(cause instanceof InputException || cause instanceof ConfigException, "case " + i + ": " + cause);
                    caught++;
                }
                Files.write(target, originals.get(target));
            }
        } finally {
            pool.shutdownNow();
        }
        org.slf4j.LoggerFactory.getLogger(ShardCheckTest.class).info("fuzz: {} cases tried, {} caught with a named error, {} passed unchanged",
                cases, caught, cases - caught);
        assertTrue(caught >= cases / 2, "most mutations are caught: " + caught + " of " + cases);
    }

    private static byte[] flip(byte[] bytes, Random rng, int n) {
        for (int k = 0; k < n; k++) {
            int at = rng.nextInt(bytes.length);
            bytes[at] ^= (byte) (1 << rng.nextInt(8));
        }
        return bytes;
    }
}
