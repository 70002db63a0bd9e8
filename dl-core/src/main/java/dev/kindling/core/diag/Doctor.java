package dev.kindling.core.diag;

import dev.kindling.core.optim.InPlaceUpdater;
import dev.kindling.core.train.Divergence;
import dev.kindling.core.train.EpochLoop;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The seed's {@code diagnose_model} and troubleshooting table. {@link #diagnose} checks a fresh
 * network on one batch: output shape, initial loss against {@code ln(classes)}, the mean absolute
 * gradient of every parameter, and whether it can overfit that batch; {@link #firstNonFinite} names
 * the first layer with non-finite parameters or activations (the seed's NaN hooks);
 * {@link #readHistory} applies the table to a run's epoch history. Every finding is a {@link Finding}
 * with the seed's fix.
 */
public final class Doctor {
    /** The seed's troubleshooting table. */
    public static final String EXPLODING = "Loss explodes after N steps: add gradient clipping, lower the LR, increase weight decay";
    public static final String FLAT = "Loss doesn't decrease at all: check the LR (too small?), data normalization, gradient flow";
    public static final String OVERFITTING = "Train low, val high (overfit): add dropout, weight decay, data augmentation, reduce model size";
    public static final String UNDERFITTING = "Both high (underfit): larger model, more training steps, lower weight decay, higher LR";
    public static final String OSCILLATING = "Loss oscillates wildly: reduce the LR, add LR warmup, check for bad batches in the dataset";

    /** @param verdict short name (ok, exploding, flat, ...); @param fix what the seed suggests, empty when ok */
    public record Finding(String check, String verdict, String detail, String fix) {
        public boolean ok() {
            return verdict.equals("ok");
        }

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("check", check);
            m.put("verdict", verdict);
            m.put("detail", detail);
            if (!fix.isEmpty()) {
                m.put("fix", fix);
            }
            return m;
        }
    }

    /** What diagnose measured, besides its findings. */
    public record Diagnosis(long[] outputShape, double initialLoss, double expectedLoss, Map<String, Double> gradients,
                            List<Double> overfitLosses, List<Finding> findings) {}

    /**
     * @param net       a fresh network (trained in place by the overfit check: pass a copy)
     * @param overfit   the same network with the seed's overfit optimizer (Adam, lr 0.01), or null to skip
     * @param classes   number of classes (the expected initial loss is ln(classes))
     */
    public static Diagnosis diagnose(ComputationGraph net, ComputationGraph overfit, DataSet batch, int classes, int overfitSteps) {
        List<Finding> findings = new ArrayList<>();
        INDArray out = net.output(false, batch.getFeatures())[0];
        long[] shape = out.shape();
        long[] labels = batch.getLabels().shape();
        findings.add(java.util.Arrays.equals(shape, labels)
                ? new Finding("output shape", "ok", java.util.Arrays.toString(shape) + " matches the labels", "")
                : new Finding("output shape", "wrong", java.util.Arrays.toString(shape) + " but labels are " + java.util.Arrays.toString(labels),
                "the output layer's size must match the labels"));
        double initial = net.score(batch, false);
        double expected = Math.log(classes);
        boolean plausible = Double.isFinite(initial) && Math.abs(initial - expected) <= 0.5 * expected;
        findings.add(new Finding("initial loss", plausible ? "ok" : "suspicious",
                String.format("%.3f (expected ~%.3f for %d classes)", initial, expected, classes),
                plausible ? "" : "far from ln(classes): check the output activation, the loss, the labels and the initialisation"));
        Map<String, Double> gradients = gradients(net, batch);
        for (Map.Entry<String, Double> g : gradients.entrySet()) {
            double v = g.getValue();
            if (!Double.isFinite(v)) {
                findings.add(new Finding("gradient " + g.getKey(), "non-finite", String.valueOf(v), EXPLODING));
            } else if (v == 0 || v < 1e-9) {
                findings.add(new Finding("gradient " + g.getKey(), "vanishing", String.format("mean |g| %.2e", v), FLAT));
            } else if (v > 1e3) {
                findings.add(new Finding("gradient " + g.getKey(), "exploding", String.format("mean |g| %.2e", v), EXPLODING));
            }
        }
        String nonFinite = firstNonFinite(net, batch);
        if (nonFinite != null) {
            findings.add(new Finding("NaN/Inf", "non-finite", nonFinite, EXPLODING));
        }
        List<Double> losses = new ArrayList<>();
        if (overfit != null) {
            InPlaceUpdater.install(overfit);
            for (int i = 0; i < overfitSteps; i++) {
                overfit.fit(batch);
                losses.add(overfit.score());
            }
            double last = losses.get(losses.size() - 1);
            boolean fits = Double.isFinite(last) && last < Math.max(0.05, 0.1 * losses.get(0));
            findings.add(new Finding("overfit one batch", fits ? "ok" : "cannot-overfit",
                    String.format("loss %.4f -> %.4f in %d steps", losses.get(0), last, overfitSteps),
                    fits ? "" : "should reach near zero; if not, the model, loss or loop has a bug (or the model is too small)"));
        }
        return new Diagnosis(shape, initial, expected, gradients, losses, findings);
    }

    /** The seed's {@code p.grad.abs().mean()} for every parameter, in the graph's order. */
    public static Map<String, Double> gradients(ComputationGraph net, DataSet batch) {
        net.setInputs(batch.getFeatures());
        net.setLabels(batch.getLabels());
        net.computeGradientAndScore();
        Map<String, Double> out = new LinkedHashMap<>();
        net.gradient().gradientForVariable().forEach((k, g) -> out.put(k, g.meanNumber().doubleValue() == 0 && g.length() == 0 ? 0.0
                : org.nd4j.linalg.ops.transforms.Transforms.abs(g, true).meanNumber().doubleValue() / Math.max(1, batch.numExamples())));
        return out;
    }

    /** The first layer with non-finite parameters or activations on {@code batch}, or null when all are finite. */
    public static String firstNonFinite(ComputationGraph net, DataSet batch) {
        String where = Divergence.locate(net, batch);
        return where.startsWith("first non-finite") ? where : null;
    }

    /**
     * The troubleshooting table on a run's history (epoch records; train loss may be NaN where a
     * master does not report it).
     */
    public static List<Finding> readHistory(List<EpochLoop.EpochRecord> history, int classes) {
        List<Finding> out = new ArrayList<>();
        if (history.isEmpty()) {
            return List.of(new Finding("history", "empty", "no epochs recorded", ""));
        }
        double[] val = history.stream().mapToDouble(EpochLoop.EpochRecord::valLoss).toArray();
        double[] train = history.stream().mapToDouble(EpochLoop.EpochRecord::trainLoss).toArray();
        int n = val.length;
        double first = val[0];
        double last = val[n - 1];
        double min = Double.POSITIVE_INFINITY;
        int argmin = 0;
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(val[i]) || (Double.isFinite(train[i]) ? !Double.isFinite(train[i]) : false)) {
                out.add(new Finding("exploding", "exploding", "validation loss " + val[i] + " at epoch " + (i + 1), EXPLODING));
                return out;
            }
            if (val[i] < min) {
                min = val[i];
                argmin = i;
            }
        }
        double chance = Math.log(classes);
        if (last > 3 * chance) {
            out.add(new Finding("exploding", "exploding", String.format("val loss %.4f, far above the untrained baseline ln(%d) = %.3f",
                    last, classes, chance), EXPLODING));
        } else if (n >= 2 && (last > 2 * min || last > 2 * first)) {
            out.add(new Finding("exploding", "exploding", String.format("val loss %.4f at the end, %.4f at best (epoch %d)", last, min, argmin + 1), EXPLODING));
        }
        if (n >= 3) {
            int signChanges = 0;
            double swing = 0;
            for (int i = 2; i < n; i++) {
                double d1 = val[i - 1] - val[i - 2];
                double d2 = val[i] - val[i - 1];
                if (d1 * d2 < 0) {
                    signChanges++;
                    swing = Math.max(swing, Math.abs(d2) / Math.max(1e-12, Math.abs(val[i - 1])));
                }
            }
            if (signChanges >= (n - 2) * 0.6 && swing > 0.05) {
                out.add(new Finding("oscillating", "oscillating", String.format("val loss changed direction %d times in %d epochs (swings up to %.0f%%)",
                        signChanges, n, 100 * swing), OSCILLATING));
            }
        }
        if (n >= 2 && Math.abs(first - last) < 0.01 * Math.abs(first) && !hasExploding(out)) {
            out.add(new Finding("flat", "flat", String.format("val loss %.4f -> %.4f over %d epochs", first, last, n), FLAT));
        }
        double lastTrain = train[n - 1];
        if (Double.isFinite(lastTrain) && n >= 3 && argmin < n - 1 && last > 1.1 * min && lastTrain < train[argmin] && lastTrain < 0.8 * last) {
            out.add(new Finding("overfitting", "overfitting", String.format("train loss %.4f falling while val loss rose from %.4f (epoch %d) to %.4f",
                    lastTrain, min, argmin + 1, last), OVERFITTING));
        }
        double lastOrVal = Double.isFinite(lastTrain) ? lastTrain : last;
        if (!hasExploding(out) && lastOrVal > 0.5 * chance && last > 0.5 * chance && !contains(out, "overfitting")) {
            out.add(new Finding("underfitting", "underfitting", String.format("train %.4f and val %.4f both above half of ln(%d) = %.3f",
                    lastTrain, last, classes, 0.5 * chance), UNDERFITTING));
        }
        if (out.isEmpty()) {
            out.add(new Finding("history", "ok", String.format("val loss %.4f -> %.4f (best %.4f at epoch %d)", first, last, min, argmin + 1), ""));
        }
        return out;
    }

    private static boolean hasExploding(List<Finding> f) {
        return contains(f, "exploding");
    }

    private static boolean contains(List<Finding> f, String verdict) {
        return f.stream().anyMatch(x -> x.verdict().equals(verdict));
    }

    private Doctor() {}
}
