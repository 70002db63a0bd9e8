package dev.kindling.core.scratch;

/**
 * ReLU with a cached mask (seed: class {@code ReLU}); the gradient is zero where the input is <= 0.
 *
 * <pre>
 * z, a, d    [B, C]
 * </pre>
 */
public final class Relu {
    private boolean[][] mask;

    /** a = max(z, 0), caching the mask z > 0 for {@link #backward}. Returns a new array. */
    public double[][] forward(double[][] z) {
        mask = new boolean[z.length][];
        for (int r = 0; r < z.length; r++) {
            mask[r] = new boolean[z[r].length];
            for (int j = 0; j < z[r].length; j++) {
                mask[r][j] = z[r][j] > 0;
            }
        }
        return apply(z);
    }

    /** a = max(z, 0) without caching (inference). Returns a new array. */
    public static double[][] apply(double[][] z) {
        double[][] a = new double[z.length][];
        for (int r = 0; r < z.length; r++) {
            a[r] = new double[z[r].length];
            for (int j = 0; j < z[r].length; j++) {
                a[r][j] = z[r][j] > 0 ? z[r][j] : 0.0;
            }
        }
        return a;
    }

    /** d loss / d z = d where z > 0, else 0. Returns a new array. */
    public double[][] backward(double[][] d) {
        if (mask == null) {
            throw new IllegalStateException("backward called before forward");
        }
        if (d.length != mask.length) {
            throw new IllegalArgumentException("d rows=" + d.length + ": must equal the last forward's "
                    + mask.length);
        }
        double[][] dz = new double[d.length][];
        for (int r = 0; r < d.length; r++) {
            dz[r] = new double[d[r].length];
            for (int j = 0; j < d[r].length; j++) {
                dz[r][j] = mask[r][j] ? d[r][j] : 0.0;
            }
        }
        return dz;
    }
}
