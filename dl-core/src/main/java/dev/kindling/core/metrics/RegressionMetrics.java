package dev.kindling.core.metrics;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Error sums of a regression head, optionally beside a baseline prediction (for a forecaster, the
 * naive last-value forecast); mergeable like {@link ClassificationMetrics}. Every sum is over the
 * elements of [b, d] predictions, so MSE and MAE average over examples and output columns alike.
 *
 * <pre>
 * argument     shape    note
 * predictions  [b, d]   d = columns given to the constructor; [b] is read as [b, 1]
 * targets      [b, d]
 * baseline     [b, d]   optional; its error sums cover only the examples that came with one
 * </pre>
 *
 * <p>R² is {@code 1 - SSE / SST} with {@code SST = sum over columns j of (sum y_j² - (sum y_j)² / n)},
 * each column centred on its own mean (sklearn's {@code variance_weighted} R²). SST comes from raw
 * sums so that parts merge by addition. Caveat: the subtraction cancels digits when a column's mean
 * is large beside its spread; SST's relative error is about {@code 1 + mean² / variance} times that
 * of the sums, harmless for normalized targets (the usual case) but a column with mean 1e6 and unit
 * variance loses about 12 of double's 16 digits. Normalize such targets first. SST is clamped at 0,
 * and R² is NaN when SST is 0.
 */
public final class RegressionMetrics implements Serializable {
    private static final long serialVersionUID = 1L;

    private final double[] targetSum; // [d]
    private final double[] targetSquareSum; // [d]
    private double squaredError;
    private double absoluteError;
    private long examples;
    private double baselineSquaredError;
    private double baselineAbsoluteError;
    private long baselineExamples;

    /** @param columns output width d (>= 1) */
    public RegressionMetrics(int columns) {
        if (columns < 1) {
            throw new IllegalArgumentException("columns=" + columns + ": must be >= 1");
        }
        this.targetSum = new double[columns];
        this.targetSquareSum = new double[columns];
    }

    public void add(INDArray predictions, INDArray targets) {
        add(predictions, targets, null);
    }

    /** Adds a minibatch; {@code baselineOrNull} is another prediction of the same targets, or null. */
    public void add(INDArray predictions, INDArray targets, INDArray baselineOrNull) {
        double[][] p = matrix("predictions", predictions);
        double[][] y = matrix("targets", targets);
        double[][] base = baselineOrNull == null ? null : matrix("baseline", baselineOrNull);
        if (y.length != p.length || (base != null && base.length != p.length)) {
            throw new IllegalArgumentException("rows: predictions=" + p.length + " targets=" + y.length
                    + (base == null ? "" : " baseline=" + base.length) + ": must be equal");
        }
        for (int i = 0; i < p.length; i++) {
            for (int j = 0; j < targetSum.length; j++) {
                double e = p[i][j] - y[i][j];
                squaredError += e * e;
                absoluteError += Math.abs(e);
                targetSum[j] += y[i][j];
                targetSquareSum[j] += y[i][j] * y[i][j];
                if (base != null) {
                    double b = base[i][j] - y[i][j];
                    baselineSquaredError += b * b;
                    baselineAbsoluteError += Math.abs(b);
                }
            }
        }
        examples += p.length;
        if (base != null) {
            baselineExamples += p.length;
        }
    }

    public RegressionMetrics merge(RegressionMetrics other) {
        if (other.targetSum.length != targetSum.length) {
            throw new IllegalArgumentException("cannot merge metrics over " + other.targetSum.length
                    + " columns into " + targetSum.length);
        }
        for (int j = 0; j < targetSum.length; j++) {
            targetSum[j] += other.targetSum[j];
            targetSquareSum[j] += other.targetSquareSum[j];
        }
        squaredError += other.squaredError;
        absoluteError += other.absoluteError;
        examples += other.examples;
        baselineSquaredError += other.baselineSquaredError;
        baselineAbsoluteError += other.baselineAbsoluteError;
        baselineExamples += other.baselineExamples;
        return this;
    }

    public long examples() {
        return examples;
    }

    public long baselineExamples() {
        return baselineExamples;
    }

    public int columns() {
        return targetSum.length;
    }

    public double squaredErrorSum() {
        return squaredError;
    }

    public double absoluteErrorSum() {
        return absoluteError;
    }

    public double mse() {
        return mean(squaredError, examples);
    }

    public double mae() {
        return mean(absoluteError, examples);
    }

    public double rmse() {
        return Math.sqrt(mse());
    }

    /** Total sum of squares about each column's mean; see the class note on cancellation. */
    public double totalSumOfSquares() {
        if (examples == 0) {
            return Double.NaN;
        }
        double sst = 0;
        for (int j = 0; j < targetSum.length; j++) {
            double mean = targetSum[j] / examples;
            sst += Math.max(0, targetSquareSum[j] - targetSum[j] * mean);
        }
        return sst;
    }

    /** {@code 1 - SSE / SST}; NaN with no examples or constant targets. */
    public double r2() {
        double sst = totalSumOfSquares();
        return sst > 0 ? 1 - squaredError / sst : Double.NaN;
    }

    public double baselineMse() {
        return mean(baselineSquaredError, baselineExamples);
    }

    public double baselineMae() {
        return mean(baselineAbsoluteError, baselineExamples);
    }

    public double baselineRmse() {
        return Math.sqrt(baselineMse());
    }

    /** Keys {@code mse, mae, rmse, r2, examples}, then {@code baseline_mse, baseline_mae, baseline_rmse} if a baseline was given. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mse", MetricsJson.orNull(mse()));
        m.put("mae", MetricsJson.orNull(mae()));
        m.put("rmse", MetricsJson.orNull(rmse()));
        m.put("r2", MetricsJson.orNull(r2()));
        m.put("examples", examples);
        if (baselineExamples > 0) {
            m.put("baseline_mse", baselineMse());
            m.put("baseline_mae", baselineMae());
            m.put("baseline_rmse", baselineRmse());
        }
        return m;
    }

    private double mean(double sum, long rows) {
        return rows == 0 ? Double.NaN : sum / ((double) rows * targetSum.length);
    }

    private double[][] matrix(String name, INDArray a) {
        long[] shape = a.shape();
        boolean ok = (a.rank() == 2 && shape[1] == targetSum.length) || (a.rank() == 1 && targetSum.length == 1);
        if (!ok) {
            throw new IllegalArgumentException(name + "=" + Arrays.toString(shape) + ": must be [b, " + targetSum.length
                    + "]" + (targetSum.length == 1 ? " or [b]" : "") + "; columns come from the constructor");
        }
        return (a.rank() == 1 ? a.reshape(shape[0], 1) : a).toDoubleMatrix();
    }
}
