package dev.kindling.core.data;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Examples of any shape held as flat row-major arrays: features {@code [n, featureShape...]}, labels
 * {@code [n, labelShape...]}, and for variable-length sequences masks {@code [n, T]} (1 = real step,
 * 0 = padding) for features and labels. The generic {@link Rows} for images, sequences and tokens.
 *
 * @param featureMask {@code [n * T]} or null
 * @param labelMask   {@code [n * T']} or null
 */
public record ArrayRows(int[] featureShape, float[] features, int[] labelShape, float[] labels,
                        float[] featureMask, float[] labelMask) implements Rows {

    public ArrayRows {
        int n = count(features, featureShape, "features");
        if (count(labels, labelShape, "labels") != n) {
            throw new IllegalArgumentException("features hold " + n + " examples but labels " + count(labels, labelShape, "labels"));
        }
        if (featureMask != null && featureMask.length % Math.max(1, n) != 0) {
            throw new IllegalArgumentException("feature mask of " + featureMask.length + " values is not n=" + n + " rows");
        }
        if (labelMask != null && labelMask.length % Math.max(1, n) != 0) {
            throw new IllegalArgumentException("label mask of " + labelMask.length + " values is not n=" + n + " rows");
        }
    }

    /** Without masks. */
    public ArrayRows(int[] featureShape, float[] features, int[] labelShape, float[] labels) {
        this(featureShape, features, labelShape, labels, null, null);
    }

    private static int count(float[] values, int[] shape, String what) {
        int per = width(shape);
        if (per == 0 || values.length % per != 0) {
            throw new IllegalArgumentException(what + ": " + values.length + " values are not whole examples of shape " + Arrays.toString(shape));
        }
        return values.length / per;
    }

    /** Values per example of this shape. */
    public static int width(int[] shape) {
        return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    }

    @Override
    public int size() {
        return features.length / width(featureShape);
    }

    @Override
    public DataSet batch(int start, int end) {
        int n = size();
        INDArray f = slice(features, featureShape, start, end);
        INDArray l = slice(labels, labelShape, start, end);
        INDArray fm = featureMask == null ? null : slice(featureMask, new int[] {featureMask.length / n}, start, end);
        INDArray lm = labelMask == null ? null : slice(labelMask, new int[] {labelMask.length / n}, start, end);
        return new DataSet(f, l, fm, lm);
    }

    private static INDArray slice(float[] values, int[] shape, int start, int end) {
        int per = width(shape);
        long[] full = new long[shape.length + 1];
        full[0] = end - start;
        for (int i = 0; i < shape.length; i++) {
            full[i + 1] = shape[i];
        }
        return Nd4j.create(Arrays.copyOfRange(values, start * per, end * per), full, DataType.FLOAT);
    }

    @Override
    public Rows limit(int n) {
        int size = size();
        if (n <= 0 || n >= size) {
            return this;
        }
        return new ArrayRows(featureShape, Arrays.copyOf(features, n * width(featureShape)), labelShape,
                Arrays.copyOf(labels, n * width(labelShape)),
                featureMask == null ? null : Arrays.copyOf(featureMask, n * (featureMask.length / size)),
                labelMask == null ? null : Arrays.copyOf(labelMask, n * (labelMask.length / size)));
    }
}
