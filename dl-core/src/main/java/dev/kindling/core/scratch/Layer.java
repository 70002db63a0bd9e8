package dev.kindling.core.scratch;

import java.util.Arrays;
import java.util.Random;

/**
 * Fully connected layer {@code y = x W + b} with He initialization (seed: class {@code Layer}).
 *
 * <pre>
 * x    [B, in]     input, cached by forward for backward
 * W    [in, out]   N(0, 1) * sqrt(2 / in)
 * b    [1, out]    zeros
 * y    [B, out]
 * </pre>
 *
 * Gradients are written into buffers allocated once, so {@link #parameters} views stay valid.
 */
public final class Layer {
    private final double[][] w;
    private final double[][] b;
    private final double[][] dW;
    private final double[][] db;
    private double[][] x;

    private Layer(double[][] w) {
        this.w = w;
        this.b = new double[1][w[0].length];
        this.dW = new double[w.length][w[0].length];
        this.db = new double[1][w[0].length];
    }

    /**
     * He-initialized layer.
     *
     * @param in  input width (>= 1)
     * @param out output width (>= 1)
     * @param rng source of the N(0, 1) draws, consumed row by row of W
     */
    public static Layer he(int in, int out, Random rng) {
        checkWidths(in, out);
        double scale = Math.sqrt(2.0 / in);
        double[][] w = new double[in][out];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                w[i][j] = rng.nextGaussian() * scale;
            }
        }
        return new Layer(w);
    }

    /** Layer with all parameters zero; for loading weights from elsewhere. */
    public static Layer zeros(int in, int out) {
        checkWidths(in, out);
        return new Layer(new double[in][out]);
    }

    private static void checkWidths(int in, int out) {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException("in=" + in + ", out=" + out + ": both must be >= 1");
        }
    }

    public int in() {
        return w.length;
    }

    public int out() {
        return w[0].length;
    }

    /** Forward pass that caches {@code x} for {@link #backward}. Returns a new [B, out] array. */
    public double[][] forward(double[][] x) {
        this.x = x;
        return apply(x);
    }

    /** Forward pass without caching (inference). */
    public double[][] apply(double[][] x) {
        if (x.length == 0 || x[0].length != in()) {
            throw new IllegalArgumentException("x columns=" + (x.length == 0 ? 0 : x[0].length)
                    + ": must equal in=" + in() + " with at least one row");
        }
        int n = x.length;
        int out = out();
        double[][] y = new double[n][out]; // [B, out]
        for (int r = 0; r < n; r++) {
            double[] yr = y[r];
            System.arraycopy(b[0], 0, yr, 0, out);
            double[] xr = x[r];
            for (int k = 0; k < xr.length; k++) {
                double xk = xr[k];
                double[] wk = w[k];
                for (int j = 0; j < out; j++) {
                    yr[j] += xk * wk[j];
                }
            }
        }
        return y;
    }

    /**
     * Backward pass for the last {@link #forward}: sets dW = x^T d, db = column sums of d, and
     * returns d W^T, the gradient with respect to x.
     *
     * @param d d loss / d y, [B, out]
     * @return d loss / d x, [B, in]
     */
    public double[][] backward(double[][] d) {
        if (x == null) {
            throw new IllegalStateException("backward called before forward");
        }
        if (d.length != x.length || d[0].length != out()) {
            throw new IllegalArgumentException("d shape=[" + d.length + ", " + d[0].length
                    + "]: must be [" + x.length + ", " + out() + "] to match the last forward");
        }
        int n = d.length;
        int in = in();
        int out = out();
        for (double[] row : dW) {
            Arrays.fill(row, 0.0);
        }
        Arrays.fill(db[0], 0.0);
        double[][] dx = new double[n][in]; // [B, in]
        for (int r = 0; r < n; r++) {
            double[] dr = d[r];
            double[] xr = x[r];
            for (int j = 0; j < out; j++) {
                db[0][j] += dr[j];
            }
            for (int k = 0; k < in; k++) {
                double xk = xr[k];
                double[] dWk = dW[k];
                double[] wk = w[k];
                double acc = 0.0;
                for (int j = 0; j < out; j++) {
                    dWk[j] += xk * dr[j];
                    acc += dr[j] * wk[j];
                }
                dx[r][k] = acc;
            }
        }
        return dx;
    }

    /** Plain SGD step: W -= lr dW, b -= lr db. */
    public void update(double lr) {
        for (int k = 0; k < w.length; k++) {
            for (int j = 0; j < w[k].length; j++) {
                w[k][j] -= lr * dW[k][j];
            }
        }
        for (int j = 0; j < b[0].length; j++) {
            b[0][j] -= lr * db[0][j];
        }
    }

    /** Live view of W, [in, out]. */
    public double[][] weights() {
        return w;
    }

    /** Live view of b, [1, out]. */
    public double[][] bias() {
        return b;
    }

    /** Live view of dW from the last backward pass, [in, out]. */
    public double[][] weightGradient() {
        return dW;
    }

    /** Live view of db from the last backward pass, [1, out]. */
    public double[][] biasGradient() {
        return db;
    }
}
