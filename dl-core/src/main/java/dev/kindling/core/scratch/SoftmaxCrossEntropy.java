package dev.kindling.core.scratch;

/**
 * Softmax followed by mean cross-entropy (seed: class {@code CrossEntropyLoss}).
 *
 * <pre>
 * logits, probs   [B, K]
 * y               [B]      class ids in [0, K)
 * loss            scalar   -mean(log(p[y] + 1e-9))
 * backward        [B, K]   (p - onehot(y)) / B
 * </pre>
 *
 * The 1e-9 inside the log is the seed's; the backward pass is the exact gradient of the loss
 * without it (as in the seed), which differs from the derivative of the loss with it by at most
 * about 1e-9 / p[y] per example.
 */
public final class SoftmaxCrossEntropy {
    /** The seed's guard against log(0). */
    public static final double LOG_EPSILON = 1e-9;

    private double[][] probs;
    private int[] y;

    /** Mean cross-entropy of {@code softmax(logits)} against {@code y}; caches both for backward. */
    public double forward(double[][] logits, int[] y) {
        if (logits.length != y.length || logits.length == 0) {
            throw new IllegalArgumentException("logits rows=" + logits.length + ", labels=" + y.length
                    + ": must be equal and >= 1");
        }
        int k = logits[0].length;
        for (int label : y) {
            if (label < 0 || label >= k) {
                throw new IllegalArgumentException("label=" + label + ": must be in [0, " + k + ")");
            }
        }
        this.probs = softmax(logits);
        this.y = y.clone();
        double sum = 0.0;
        for (int r = 0; r < y.length; r++) {
            sum += Math.log(probs[r][y[r]] + LOG_EPSILON);
        }
        return -sum / y.length;
    }

    /** (p - onehot(y)) / B for the last forward, [B, K]. */
    public double[][] backward() {
        if (probs == null) {
            throw new IllegalStateException("backward called before forward");
        }
        int n = probs.length;
        double[][] d = new double[n][];
        for (int r = 0; r < n; r++) {
            d[r] = probs[r].clone();
            d[r][y[r]] -= 1.0;
            for (int j = 0; j < d[r].length; j++) {
                d[r][j] /= n;
            }
        }
        return d;
    }

    /** Row-wise softmax, stable: the row max is subtracted before exponentiating. */
    public static double[][] softmax(double[][] logits) {
        double[][] p = new double[logits.length][];
        for (int r = 0; r < logits.length; r++) {
            double[] row = logits[r];
            double max = Double.NEGATIVE_INFINITY;
            for (double v : row) {
                max = Math.max(max, v);
            }
            double[] e = new double[row.length];
            double sum = 0.0;
            for (int j = 0; j < row.length; j++) {
                e[j] = Math.exp(row[j] - max);
                sum += e[j];
            }
            for (int j = 0; j < row.length; j++) {
                e[j] /= sum;
            }
            p[r] = e;
        }
        return p;
    }
}
