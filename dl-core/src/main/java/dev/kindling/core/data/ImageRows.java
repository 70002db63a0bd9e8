package dev.kindling.core.data;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Images kept as their raw bytes (one byte a pixel value, {@code [C, H, W]} row-major per image) and
 * normalised only when a minibatch is cut: a 50,000-image CIFAR-10 split is 150 MB of bytes instead of
 * 600 MB of floats. Features {@code [b, C, H, W]}, labels one-hot {@code [b, K]}.
 *
 * @param shape   per-image geometry
 * @param pixels  every image of the source, {@code shape.size()} bytes each
 * @param labels  every image's class, in [0, classes)
 * @param index   which images this split holds, in order
 * @param norm    applied to {@code byte / 255}
 * @param classes K
 */
public record ImageRows(ImageShape shape, byte[] pixels, int[] labels, int[] index, ImageNormalization norm, int classes)
        implements Rows {

    @Override
    public int size() {
        return index.length;
    }

    @Override
    public DataSet batch(int start, int end) {
        int b = end - start;
        int size = shape.size();
        int plane = shape.height() * shape.width();
        float[] f = new float[b * size];
        float[] l = new float[b * classes];
        for (int i = 0; i < b; i++) {
            int img = index[start + i];
            int from = img * size;
            for (int j = 0; j < size; j++) {
                f[i * size + j] = norm.normalize((pixels[from + j] & 0xff) / 255f, j / plane);
            }
            l[i * classes + labels[img]] = 1f;
        }
        INDArray features = Nd4j.create(f, new long[] {b, shape.channels(), shape.height(), shape.width()}, DataType.FLOAT);
        return new DataSet(features, Nd4j.create(l, new long[] {b, classes}, DataType.FLOAT));
    }

    @Override
    public Rows limit(int n) {
        if (n <= 0 || n >= size()) {
            return this;
        }
        return new ImageRows(shape, pixels, labels, java.util.Arrays.copyOf(index, n), norm, classes);
    }
}
