package dev.kindling.core.data;

import dev.kindling.core.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * CIFAR-10 in its published binary format ("CIFAR-10 binary version"): {@code data_batch_1.bin} ..
 * {@code data_batch_5.bin} and {@code test_batch.bin}, each a run of 3,073-byte records: one label
 * byte (0-9), then 1,024 red, 1,024 green and 1,024 blue bytes of a 32x32 image, rows top to bottom.
 * Features are {@code [3, 32, 32]} (DL4J's NCHW, the file's own order), scaled to [0, 1] and
 * normalised per channel with the seed's ImageNet mean and std; the manifest records
 * {@code image=3x32x32}, {@code image-mean} and {@code image-std}. The validation split is carved
 * from the training files by a seeded shuffle ({@link #VAL_SIZE} images, or a tenth of the training
 * images when there are fewer than 50,000); {@code test_batch.bin} is the test split.
 */
public final class Cifar10 {
    public static final ImageShape SHAPE = new ImageShape(3, 32, 32);
    public static final int RECORD = 1 + 3 * 32 * 32;
    public static final int VAL_SIZE = 5000;
    /** The seed's normalisation (torchvision's ImageNet statistics). */
    public static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] STD = {0.229f, 0.224f, 0.225f};
    public static final List<String> TRAIN_FILES = List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
            "data_batch_4.bin", "data_batch_5.bin");
    public static final String TEST_FILE = "test_batch.bin";
    public static final List<String> CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
            "horse", "ship", "truck");

    /** The raw records of some files: pixel bytes and labels, in file then record order. */
    record Records(byte[] pixels, int[] labels) {
        int size() {
            return labels.length;
        }
    }

    public static DatasetWriter.Source read(Path dir, long seed) throws IOException {
        if (dir == null || !Files.isDirectory(dir)) {
            throw new ConfigException("source-path=" + dir + ": not a directory; pass --source-path=<dir holding data_batch_1.bin .. data_batch_5.bin and test_batch.bin> (the CIFAR-10 binary version; nothing is downloaded)");
        }
        List<Path> trainFiles = new ArrayList<>();
        for (String f : TRAIN_FILES) {
            trainFiles.add(dir.resolve(f));
        }
        Records train = read(trainFiles);
        Records test = read(List.of(dir.resolve(TEST_FILE)));
        int n = train.size();
        int val = n >= 10 * VAL_SIZE ? VAL_SIZE : Math.max(1, n / 10);
        int[] perm = SeedTasks.permutation(n, new Random(seed));
        ImageNormalization norm = new ImageNormalization(MEAN, STD);
        Map<String, Rows> splits = new LinkedHashMap<>();
        splits.put("train", new ImageRows(SHAPE, train.pixels(), train.labels(), java.util.Arrays.copyOfRange(perm, 0, n - val), norm, 10));
        splits.put("val", new ImageRows(SHAPE, train.pixels(), train.labels(), java.util.Arrays.copyOfRange(perm, n - val, n), norm, 10));
        int[] testIndex = new int[test.size()];
        for (int i = 0; i < testIndex.length; i++) {
            testIndex[i] = i;
        }
        splits.put("test", new ImageRows(SHAPE, test.pixels(), test.labels(), testIndex, norm, 10));
        return new DatasetWriter.Source("cifar10", "cifar10", Task.CLASSIFICATION, new int[] {3, 32, 32}, new int[] {10}, 10,
                false, CLASSES, false, ImageNormalization.attributes(SHAPE, MEAN, STD), splits);
    }

    /** Every record of the files, checked: whole records only, labels in 0-9. */
    static Records read(List<Path> files) throws IOException {
        long total = 0;
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new ConfigException("source=" + f + ": missing; a CIFAR-10 binary directory holds " + String.join(", ", TRAIN_FILES)
                        + " and " + TEST_FILE);
            }
            long size = Files.size(f);
            if (size == 0 || size % RECORD != 0) {
                long whole = size / RECORD;
                throw new ConfigException("source=" + f + ": " + size + " bytes is not a whole number of " + RECORD
                        + "-byte records (truncated or not CIFAR-10 binary: record " + whole + " at byte offset " + whole * RECORD
                        + " has only " + (size - whole * RECORD) + " bytes)");
            }
            total += size / RECORD;
        }
        if (total > Integer.MAX_VALUE / SHAPE.size()) {
            throw new ConfigException("source=" + files.get(0).getParent() + ": " + total + " records is more than CIFAR-10 holds");
        }
        int n = (int) total;
        byte[] pixels = new byte[n * SHAPE.size()];
        int[] labels = new int[n];
        byte[] record = new byte[RECORD];
        int i = 0;
        for (Path f : files) {
            try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
                for (long offset = 0; in.readNBytes(record, 0, RECORD) == RECORD; offset += RECORD) {
                    int label = record[0] & 0xff;
                    if (label > 9) {
                        throw new ConfigException("source=" + f + ": label byte " + label + " at byte offset " + offset
                                + " is not a CIFAR-10 class 0-9 (a CIFAR-100 file, or not CIFAR-10 binary)");
                    }
                    labels[i] = label;
                    System.arraycopy(record, 1, pixels, i * SHAPE.size(), SHAPE.size());
                    i++;
                }
            }
        }
        if (i != n) {
            throw new ConfigException("source=" + files + ": changed while being read (" + i + " of " + n + " records)");
        }
        return new Records(pixels, labels);
    }

    private Cifar10() {}
}
