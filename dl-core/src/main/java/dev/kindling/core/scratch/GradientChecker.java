package dev.kindling.core.scratch;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Central-difference check of hand-written gradients (seed: {@code numerical_gradient} and
 * {@code grad_check}). Every entry of every parameter is perturbed by +-eps, so the cost is two
 * forward passes per scalar parameter: use small networks and batches.
 *
 * <p>Per parameter the score is the Frobenius relative error
 * {@code ||analytic - numeric|| / max(||analytic|| + ||numeric||, 1e-12)}.
 */
public final class GradientChecker {
    /** The seed's finite-difference step. */
    public static final double EPSILON = 1e-5;

    /** What the checker needs from a model: its parameters, the loss, and its own gradients. */
    public interface Objective {
        /** Live views; the checker writes into {@link Parameter#value} and restores it. */
        List<Parameter> parameters();

        /** The loss at the current parameter values. */
        double loss();

        /** Fills every {@link Parameter#gradient} for the current parameter values. */
        void computeGradients();
    }

    /**
     * @param relativeErrors per parameter name, in parameter order (each >= 0)
     * @param worstParameter name of the parameter with the largest error
     * @param worstError     its error
     */
    public record Report(Map<String, Double> relativeErrors, String worstParameter, double worstError) {
        public Report {
            Objects.requireNonNull(worstParameter, "worstParameter");
            if (relativeErrors.isEmpty()) {
                throw new IllegalArgumentException("relativeErrors: must not be empty");
            }
            relativeErrors = Collections.unmodifiableMap(new LinkedHashMap<>(relativeErrors));
        }
    }

    /** Checks with the seed's {@link #EPSILON}. */
    public static Report check(Objective objective) {
        return check(objective, EPSILON);
    }

    /**
     * Computes the analytic gradients once, then the numeric gradient of every entry, and compares.
     * Parameter values are restored exactly afterwards.
     *
     * @param eps finite-difference step (> 0)
     */
    public static Report check(Objective objective, double eps) {
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("eps=" + eps + ": must be finite and > 0");
        }
        objective.computeGradients();
        Map<String, double[][]> analytic = new LinkedHashMap<>();
        for (Parameter p : objective.parameters()) {
            analytic.put(p.name(), copy(p.gradient()));
        }
        Map<String, Double> errors = new LinkedHashMap<>();
        String worst = null;
        double worstError = -1.0;
        for (Parameter p : objective.parameters()) {
            double[][] numeric = numericalGradient(objective, p.value(), eps);
            double err = relativeError(analytic.get(p.name()), numeric);
            errors.put(p.name(), err);
            if (err > worstError || Double.isNaN(err)) {
                worst = p.name();
                worstError = err;
            }
        }
        return new Report(errors, worst, worstError);
    }

    /** d loss / d value by central differences, entry by entry; {@code value} is restored. */
    public static double[][] numericalGradient(Objective objective, double[][] value, double eps) {
        double[][] grad = new double[value.length][value[0].length];
        for (int i = 0; i < value.length; i++) {
            for (int j = 0; j < value[i].length; j++) {
                double old = value[i][j];
                value[i][j] = old + eps;
                double plus = objective.loss();
                value[i][j] = old - eps;
                double minus = objective.loss();
                value[i][j] = old;
                grad[i][j] = (plus - minus) / (2 * eps);
            }
        }
        return grad;
    }

    /** ||a - b|| / max(||a|| + ||b||, 1e-12), Frobenius norms; arrays must have equal shapes. */
    public static double relativeError(double[][] a, double[][] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("rows " + a.length + " vs " + b.length + ": must match");
        }
        double diff = 0.0;
        double na = 0.0;
        double nb = 0.0;
        for (int i = 0; i < a.length; i++) {
            if (a[i].length != b[i].length) {
                throw new IllegalArgumentException("row " + i + " lengths " + a[i].length + " vs "
                        + b[i].length + ": must match");
            }
            for (int j = 0; j < a[i].length; j++) {
                double d = a[i][j] - b[i][j];
                diff += d * d;
                na += a[i][j] * a[i][j];
                nb += b[i][j] * b[i][j];
            }
        }
        return Math.sqrt(diff) / Math.max(Math.sqrt(na) + Math.sqrt(nb), 1e-12);
    }

    private static double[][] copy(double[][] m) {
        double[][] c = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            c[i] = m[i].clone();
        }
        return c;
    }

    private GradientChecker() {}
}
