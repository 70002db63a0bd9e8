package dev.kindling.core.scratch;

import java.util.Objects;
import java.util.Random;

/**
 * The seed's synthetic 4-class task: x ~ N(0, I_2), label = (x0 > 0) + 2 * (x1 > 0), i.e. the
 * quadrant of the point.
 *
 * <pre>
 * features   [n, 2]
 * labels     [n]      in {0, 1, 2, 3}
 * </pre>
 *
 * @param features one row per point (n >= 1 rows of width 2)
 * @param labels   one class id per row
 */
public record QuadrantTask(double[][] features, int[] labels) {
    /** Input width. */
    public static final int FEATURES = 2;
    /** Number of classes. */
    public static final int CLASSES = 4;

    public QuadrantTask {
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(labels, "labels");
        if (features.length == 0 || features.length != labels.length) {
            throw new IllegalArgumentException("features rows=" + features.length + ", labels="
                    + labels.length + ": must be equal and >= 1");
        }
        for (double[] row : features) {
            if (row.length != FEATURES) {
                throw new IllegalArgumentException("feature row width=" + row.length + ": must be "
                        + FEATURES);
            }
        }
    }

    /**
     * Draws {@code n} points from {@code rng}, x0 then x1 for each point (row-major, as NumPy's
     * {@code randn(n, 2)}).
     *
     * @param n number of points (>= 1)
     */
    public static QuadrantTask generate(int n, Random rng) {
        if (n < 1) {
            throw new IllegalArgumentException("n=" + n + ": must be >= 1");
        }
        double[][] x = new double[n][FEATURES];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[i][0] = rng.nextGaussian();
            x[i][1] = rng.nextGaussian();
            y[i] = label(x[i][0], x[i][1]);
        }
        return new QuadrantTask(x, y);
    }

    /** {@link #generate(int, Random)} from {@code new Random(seed)}. */
    public static QuadrantTask generate(int n, long seed) {
        return generate(n, new Random(seed));
    }

    /** The quadrant rule: (x0 > 0) + 2 * (x1 > 0). */
    public static int label(double x0, double x1) {
        return (x0 > 0 ? 1 : 0) + 2 * (x1 > 0 ? 1 : 0);
    }

    /** Number of points. */
    public int size() {
        return labels.length;
    }

    @Override
    public String toString() {
        return "QuadrantTask[size=" + size() + "]";
    }
}
