package dev.kindling.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.io.InputException;
import dev.kindling.core.io.LocalStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

class DatasetWriterTest {
    private final LocalStorage storage = new LocalStorage();

    @Test
    void seedSumHasTheSeedsSplitAndBinaryLabels(@TempDir Path dir) throws Exception {
        String out = dir.resolve("sum").toString();
        Manifest m = DatasetWriter.write(storage, out, SeedTasks.sum(42), 64, 42);
        assertEquals(1600, m.split("train").examples());
        assertEquals(200, m.split("val").examples());
        assertEquals(200, m.split("test").examples());
        assertEquals(25, m.split("train").shards());
        assertEquals(4, m.split("val").shards()); // 64 + 64 + 64 + 8
        assertEquals(1, m.labelWidth());
        assertArrayEquals(new int[] {20}, m.featureShape());
        DataSet last = Shards.load(storage, storage.child(out, Manifest.shardName("val", 3)));
        assertArrayEquals(new long[] {8, 20}, last.getFeatures().shape());
        assertArrayEquals(new long[] {8, 1}, last.getLabels().shape());
        // the label is the sign of the feature sum
        double[][] x = last.getFeatures().toDoubleMatrix();
        double[][] y = last.getLabels().toDoubleMatrix();
        for (int i = 0; i < x.length; i++) {
            assertEquals(Arrays.stream(x[i]).sum() > 0 ? 1.0 : 0.0, y[i][0]);
        }
    }

    @Test
    void manifestRoundTripsAndFingerprintIsReproducible(@TempDir Path dir) throws Exception {
        Manifest a = DatasetWriter.write(storage, dir.resolve("a").toString(), SeedTasks.quadrants(1), 32, 1);
        Manifest b = DatasetWriter.write(storage, dir.resolve("b").toString(), SeedTasks.quadrants(1), 32, 1);
        Manifest c = DatasetWriter.write(storage, dir.resolve("c").toString(), SeedTasks.quadrants(2), 32, 2);
        assertEquals(a.fingerprint(), b.fingerprint());
        assertNotEquals(a.fingerprint(), c.fingerprint());
        Manifest read = Shards.manifest(storage, dir.resolve("a").toString());
        assertEquals(a.fingerprint(), read.fingerprint());
        assertEquals(a.splits(), read.splits());
        assertEquals(4, read.numClasses());
        assertEquals(java.util.List.of("train", "val", "test"), java.util.List.copyOf(read.splits().keySet()));
    }

    @Test
    void existingOutputIsNeverOverwritten(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("taken");
        Files.createDirectory(out);
        ConfigException e = assertThrows(ConfigException.class,
                () -> DatasetWriter.write(storage, out.toString(), SeedTasks.sum(1), 64, 1));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    }

    @Test
    void failedWriteLeavesNothingBehind(@TempDir Path dir) throws Exception {
        Examples bad = new Examples(new float[][] {{1f}, {2f}}, new int[] {0, 7}); // label 7 of 2 classes
        DatasetWriter.Source src = DatasetWriter.Source.classification("bad", "test", new int[] {1}, 2, false,
                java.util.List.of("a", "b"), SeedTasks.ordered(bad, bad, bad));
        assertThrows(IllegalArgumentException.class, () -> DatasetWriter.write(storage, dir.resolve("bad").toString(), src, 1, 0));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(0, left.count());
        }
    }

    @Test
    void truncatedShardIsAnErrorNamingTheFile(@TempDir Path dir) throws Exception {
        String out = dir.resolve("q").toString();
        DatasetWriter.write(storage, out, SeedTasks.quadrants(3), 64, 3);
        Path shard = Path.of(storage.child(out, Manifest.shardName("train", 0)));
        byte[] bytes = Files.readAllBytes(shard);
        Files.write(shard, Arrays.copyOf(bytes, bytes.length / 2));
        InputException e = assertThrows(InputException.class, () -> Shards.load(storage, shard.toString()));
        assertTrue(e.getMessage().contains("part-00000.bin") && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void missingDatasetTellsHowToPrepareIt(@TempDir Path dir) {
        ConfigException e = assertThrows(ConfigException.class, () -> Shards.manifest(storage, dir.resolve("none").toString()));
        assertTrue(e.getMessage().contains("prepare-data"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("none")));
    }
}
