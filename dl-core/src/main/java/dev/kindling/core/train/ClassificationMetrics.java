package dev.kindling.core.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Loss and confusion counts over classified examples; mergeable, so executors evaluate their
 * shards and the driver adds the parts. Counts merge exactly; the loss is a sum of per-example
 * losses in double, so a merged sum differs from a single-JVM one only by addition order.
 */
public final class ClassificationMetrics implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final double EPS = 1e-12;

    private final long[][] confusion; // [actual][predicted]
    private double lossSum;
    private long count;

    public ClassificationMetrics(int classes) {
        this.confusion = new long[classes][classes];
    }

    /**
     * Adds a minibatch. {@code outputs} are the network's probabilities: [b, 1] sigmoid outputs for a
     * binary head (labels [b, 1] of 0/1) or [b, C] softmax outputs (labels one-hot [b, C]).
     */
    public void add(INDArray outputs, INDArray labels) {
        double[][] p = outputs.toDoubleMatrix();
        double[][] y = labels.toDoubleMatrix();
        boolean binary = p[0].length == 1;
        for (int i = 0; i < p.length; i++) {
            int actual;
            int predicted;
            double loss;
            if (binary) {
                double q = Math.min(Math.max(p[i][0], EPS), 1 - EPS);
                actual = y[i][0] > 0.5 ? 1 : 0;
                predicted = p[i][0] >= 0.5 ? 1 : 0;
                loss = -(actual == 1 ? Math.log(q) : Math.log(1 - q));
            } else {
                actual = argmax(y[i]);
                predicted = argmax(p[i]);
                loss = -Math.log(Math.max(p[i][actual], EPS));
            }
            confusion[actual][predicted]++;
            lossSum += loss;
            count++;
        }
    }

    public ClassificationMetrics merge(ClassificationMetrics other) {
        if (other.confusion.length != confusion.length) {
            throw new IllegalArgumentException("cannot merge metrics over " + other.confusion.length + " classes into " + confusion.length);
        }
        for (int a = 0; a < confusion.length; a++) {
            for (int p = 0; p < confusion.length; p++) {
                confusion[a][p] += other.confusion[a][p];
            }
        }
        lossSum += other.lossSum;
        count += other.count;
        return this;
    }

    public long count() {
        return count;
    }

    public double lossSum() {
        return lossSum;
    }

    /** Mean per-example loss (cross-entropy, or binary cross-entropy). */
    public double loss() {
        return count == 0 ? Double.NaN : lossSum / count;
    }

    public double accuracy() {
        long correct = 0;
        for (int c = 0; c < confusion.length; c++) {
            correct += confusion[c][c];
        }
        return count == 0 ? Double.NaN : (double) correct / count;
    }

    public double precision(int c) {
        long predicted = 0;
        for (long[] row : confusion) {
            predicted += row[c];
        }
        return predicted == 0 ? 0 : (double) confusion[c][c] / predicted;
    }

    public double recall(int c) {
        long actual = 0;
        for (long v : confusion[c]) {
            actual += v;
        }
        return actual == 0 ? 0 : (double) confusion[c][c] / actual;
    }

    public double f1(int c) {
        double p = precision(c);
        double r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    public long[][] confusion() {
        long[][] copy = new long[confusion.length][];
        for (int i = 0; i < confusion.length; i++) {
            copy[i] = confusion[i].clone();
        }
        return copy;
    }

    /** The {@code final} block of metrics.json: loss, accuracy, per-class P/R/F1, macro F1, confusion. */
    public Map<String, Object> toJson(List<String> classNames) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("loss", loss());
        m.put("accuracy", accuracy());
        m.put("examples", count);
        List<Map<String, Object>> perClass = new ArrayList<>();
        double macroF1 = 0;
        for (int c = 0; c < confusion.length; c++) {
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("class", c < classNames.size() ? classNames.get(c) : String.valueOf(c));
            k.put("precision", precision(c));
            k.put("recall", recall(c));
            k.put("f1", f1(c));
            perClass.add(k);
            macroF1 += f1(c) / confusion.length;
        }
        m.put("macro_f1", macroF1);
        m.put("per_class", perClass);
        m.put("confusion", confusion());
        return m;
    }

    private static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
