package dev.kindling.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.io.LocalStorage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/** The CIFAR-10 binary reader on files this test writes in the published format. */
class Cifar10Test {

    /**
     * Writes {@code records} 3,073-byte records: label = (first + i) % 10; red plane = label, green =
     * 2 x label, blue = 255, except pixel (row 0, col 1) of red, which is i (so each record is unique).
     */
    static void writeBatch(Path file, int first, int records) throws IOException {
        byte[] bytes = new byte[records * Cifar10.RECORD];
        for (int i = 0; i < records; i++) {
            int o = i * Cifar10.RECORD;
            int label = (first + i) % 10;
            bytes[o] = (byte) label;
            Arrays.fill(bytes, o + 1, o + 1 + 1024, (byte) label);
            Arrays.fill(bytes, o + 1 + 1024, o + 1 + 2048, (byte) (2 * label));
            Arrays.fill(bytes, o + 1 + 2048, o + Cifar10.RECORD, (byte) 255);
            bytes[o + 1 + 1] = (byte) (first + i);
        }
        Files.write(file, bytes);
    }

    static Path writeDataset(Path dir, int perFile, int test) throws IOException {
        for (int b = 0; b < 5; b++) {
            writeBatch(dir.resolve(Cifar10.TRAIN_FILES.get(b)), b * perFile, perFile);
        }
        writeBatch(dir.resolve(Cifar10.TEST_FILE), 100, test);
        return dir;
    }

    @Test
    void readsRecordsAsNormalisedChwImagesWithOneHotLabels(@TempDir Path dir) throws Exception {
        writeDataset(dir, 4, 3);
        DatasetWriter.Source src = Cifar10.read(dir, 7);
        assertArrayEquals(new int[] {3, 32, 32}, src.featureShape());
        assertEquals("3x32x32", src.attributes().get("image"));
        assertEquals(18, src.splits().get("train").size());
        assertEquals(2, src.splits().get("val").size()); // a tenth of 20 training images
        assertEquals(3, src.splits().get("test").size());
        DataSet test = src.splits().get("test").batch(0, 3);
        assertArrayEquals(new long[] {3, 3, 32, 32}, test.getFeatures().shape());
        // test record 1: label 101 % 10 = 1; red = 1/255, green = 2/255, blue = 1.0, red (0,1) = 101/255
        assertEquals(1f, test.getLabels().getFloat(1, 1));
        assertEquals(3f, test.getLabels().sumNumber().floatValue(), 1e-6);
        assertEquals((1 / 255f - 0.485f) / 0.229f, test.getFeatures().getFloat(1, 0, 5, 5), 1e-6);
        assertEquals((101 / 255f - 0.485f) / 0.229f, test.getFeatures().getFloat(1, 0, 0, 1), 1e-6);
        assertEquals((2 / 255f - 0.456f) / 0.224f, test.getFeatures().getFloat(1, 1, 31, 31), 1e-6);
        assertEquals((1f - 0.406f) / 0.225f, test.getFeatures().getFloat(1, 2, 0, 0), 1e-6);
    }

    @Test
    void validationIsASeededSplitOfTrainingDisjointFromIt(@TempDir Path dir) throws Exception {
        writeDataset(dir, 10, 2);
        ImageRows train = (ImageRows) Cifar10.read(dir, 3).splits().get("train");
        ImageRows val = (ImageRows) Cifar10.read(dir, 3).splits().get("val");
        assertEquals(45, train.size());
        assertEquals(5, val.size());
        assertArrayEquals(val.index(), ((ImageRows) Cifar10.read(dir, 3).splits().get("val")).index());
        assertTrue(Arrays.stream(val.index()).noneMatch(v -> Arrays.stream(train.index()).anyMatch(t -> t == v)));
        int[] all = java.util.stream.IntStream.concat(Arrays.stream(train.index()), Arrays.stream(val.index())).sorted().toArray();
        assertArrayEquals(java.util.stream.IntStream.range(0, 50).toArray(), all);
        assertTrue(!Arrays.equals(val.index(), ((ImageRows) Cifar10.read(dir, 4).splits().get("val")).index()));
    }

    @Test
    void truncatedFileIsAnErrorNamingTheFileAndByteOffset(@TempDir Path dir) throws Exception {
        writeDataset(dir, 3, 2);
        Path third = dir.resolve("data_batch_3.bin");
        byte[] bytes = Files.readAllBytes(third);
        Files.write(third, Arrays.copyOf(bytes, 2 * Cifar10.RECORD + 100));
        var e = assertThrows(ConfigException.class, () -> Cifar10.read(dir, 1));
        assertTrue(e.getMessage().contains(third.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("record 2 at byte offset 6146 has only 100 bytes"), e.getMessage());
    }

    @Test
    void labelOutsideTenClassesIsAnErrorNamingTheOffset(@TempDir Path dir) throws Exception {
        writeDataset(dir, 3, 2);
        Path test = dir.resolve("test_batch.bin");
        byte[] bytes = Files.readAllBytes(test);
        bytes[Cifar10.RECORD] = 57;
        Files.write(test, bytes);
        var e = assertThrows(ConfigException.class, () -> Cifar10.read(dir, 1));
        assertTrue(e.getMessage().contains(test + ": label byte 57 at byte offset 3073"), e.getMessage());
    }

    @Test
    void missingFileOrDirectoryNamesWhatIsExpected(@TempDir Path dir) throws Exception {
        var none = assertThrows(ConfigException.class, () -> Cifar10.read(dir.resolve("nope"), 1));
        assertTrue(none.getMessage().contains("data_batch_1.bin"), none.getMessage());
        writeDataset(dir, 2, 2);
        Files.delete(dir.resolve("data_batch_5.bin"));
        var missing = assertThrows(ConfigException.class, () -> Cifar10.read(dir, 1));
        assertTrue(missing.getMessage().contains("data_batch_5.bin: missing"), missing.getMessage());
    }

    @Test
    void writesShardsThatPassTheShardCheck(@TempDir Path dir) throws Exception {
        writeDataset(dir.resolve("raw").toFile().mkdirs() ? dir.resolve("raw") : dir, 4, 3);
        LocalStorage storage = new LocalStorage();
        String out = dir.resolve("ds").toString();
        Manifest m = DatasetWriter.write(storage, out, Cifar10.read(dir.resolve("raw"), 1), 5, 1);
        assertEquals("cifar10", m.name());
        assertEquals(new ImageShape(3, 32, 32), ImageShape.of(m));
        assertEquals(0.229f, ImageNormalization.of(m).std()[0]);
        assertTrue(ShardCheck.checkAll(storage, out, m).stream().allMatch(r -> r.problem == null), "shard problems");
        assertEquals(18, m.split("train").examples());
        assertEquals(4, m.split("train").shards());
    }
}
