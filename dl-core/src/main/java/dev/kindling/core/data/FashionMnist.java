package dev.kindling.core.data;

import dev.kindling.core.config.ConfigException;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST from its published gzipped idx files, as Debian's {@code dataset-fashion-mnist}
 * installs them. Pixels are scaled to [0, 1] and normalised with the dataset's mean 0.2860 and std
 * 0.3530 (the seed's values); 5,000 of the 60,000 training images, picked by a seeded shuffle,
 * become the validation split; the 10,000 t10k images are the test split. Features stay flat
 * {@code [784]} (the MLP reads them); the manifest attributes {@code image=1x28x28},
 * {@code image-mean} and {@code image-std} let a CNN see {@code [1, 28, 28]} and augmentation undo
 * and redo the normalisation ({@link ImageNormalization}).
 */
public final class FashionMnist {
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final float MEAN = 0.2860f;
    public static final float STD = 0.3530f;
    public static final int VAL_SIZE = 5000;
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    private static final int IMAGE_MAGIC = 0x00000803;
    private static final int LABEL_MAGIC = 0x00000801;

    public static DatasetWriter.Source read(Path dir, long seed) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new ConfigException("source-path=" + dir + ": no Fashion-MNIST there; install Debian's package: apt-get install dataset-fashion-mnist (or pass --source-path=<dir with the four idx .gz files>)");
        }
        Examples train = examples(dir.resolve("train-images-idx3-ubyte.gz"), dir.resolve("train-labels-idx1-ubyte.gz"));
        Examples test = examples(dir.resolve("t10k-images-idx3-ubyte.gz"), dir.resolve("t10k-labels-idx1-ubyte.gz"));
        int[] perm = SeedTasks.permutation(train.size(), new Random(seed));
        int n = train.size();
        return DatasetWriter.Source.classification("fashion-mnist", "fashion-mnist", new int[] {28 * 28}, 10, false, CLASSES,
                SeedTasks.ordered(SeedTasks.take(train.features(), train.labels(), perm, 0, n - VAL_SIZE),
                        SeedTasks.take(train.features(), train.labels(), perm, n - VAL_SIZE, n), test))
                .withAttributes(ImageNormalization.attributes(new ImageShape(1, 28, 28), new float[] {MEAN}, new float[] {STD}));
    }

    static Examples examples(Path images, Path labels) throws IOException {
        float[][] x = readImages(images);
        int[] y = readLabels(labels);
        if (x.length != y.length) {
            throw new ConfigException("source=" + images + ": " + x.length + " images but " + labels.getFileName() + " has " + y.length + " labels");
        }
        return new Examples(x, y);
    }

    static float[][] readImages(Path file) throws IOException {
        try (DataInputStream in = open(file)) {
            int magic = in.readInt();
            if (magic != IMAGE_MAGIC) {
                throw new ConfigException("source=" + file + ": not an idx3 image file (magic 0x" + Integer.toHexString(magic) + " at byte 0, expected 0x803)");
            }
            int n = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            byte[] pixels = new byte[rows * cols];
            float[][] x = new float[n][rows * cols];
            for (int i = 0; i < n; i++) {
                readFully(in, pixels, file, 16L + (long) i * pixels.length);
                for (int j = 0; j < pixels.length; j++) {
                    x[i][j] = ((pixels[j] & 0xff) / 255f - MEAN) / STD;
                }
            }
            return x;
        }
    }

    static int[] readLabels(Path file) throws IOException {
        try (DataInputStream in = open(file)) {
            int magic = in.readInt();
            if (magic != LABEL_MAGIC) {
                throw new ConfigException("source=" + file + ": not an idx1 label file (magic 0x" + Integer.toHexString(magic) + " at byte 0, expected 0x801)");
            }
            int n = in.readInt();
            byte[] raw = new byte[n];
            readFully(in, raw, file, 8);
            int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                y[i] = raw[i] & 0xff;
            }
            return y;
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("source=" + file + ": missing; install Debian's package: apt-get install dataset-fashion-mnist");
        }
        InputStream raw = Files.newInputStream(file);
        return new DataInputStream(new java.io.BufferedInputStream(new GZIPInputStream(raw), 1 << 16));
    }

    private static void readFully(DataInputStream in, byte[] into, Path file, long offset) throws IOException {
        try {
            in.readFully(into);
        } catch (EOFException e) {
            throw new ConfigException("source=" + file + ": truncated at uncompressed byte offset " + offset + "; re-install dataset-fashion-mnist");
        }
    }

    private FashionMnist() {}
}
