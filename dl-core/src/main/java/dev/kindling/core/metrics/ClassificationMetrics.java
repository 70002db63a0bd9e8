package dev.kindling.core.metrics;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Loss and confusion counts over classified examples; mergeable, so executors evaluate their
 * shards and the driver adds the parts. Counts merge exactly; the loss is a sum of per-example
 * losses in double, so a merged sum differs from a single-JVM one only by addition order.
 *
 * <p>Also kept: top-k accuracy for k = 1..min(5, classes) on softmax heads (top-1 only on a binary
 * head), and for a binary head every (score, label) pair, so the ROC AUC is exact and does not
 * depend on how the data was split or merged. Scores are stored as floats in two growable arrays,
 * one per label: 4 bytes per example, up to 8 while an array has spare capacity.
 */
public final class ClassificationMetrics implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final double EPS = 1e-12;
    private static final int MAX_TOP_K = 5;
    private static final int HEAD_NONE = 0, HEAD_BINARY = 1, HEAD_SOFTMAX = 2;

    private final long[][] confusion; // [actual][predicted]
    private final long[] topK; // [k - 1]: examples whose actual class ranks within the top k
    private int head = HEAD_NONE;
    private double lossSum;
    private long count;
    // binary head only: the scores of positive and of negative examples, valid up to the counts
    private float[] positiveScores = new float[0];
    private int positives;
    private float[] negativeScores = new float[0];
    private int negatives;

    /** @param classes number of classes (>= 2); a binary head with [b, 1] outputs has 2 */
    public ClassificationMetrics(int classes) {
        this.confusion = new long[classes][classes];
        this.topK = new long[Math.max(1, Math.min(MAX_TOP_K, classes))];
    }

    /**
     * Adds a minibatch. {@code outputs} are the network's probabilities: [b, 1] sigmoid outputs for a
     * binary head (labels [b, 1] of 0/1) or [b, C] softmax outputs (labels one-hot [b, C]).
     */
    public void add(INDArray outputs, INDArray labels) {
        double[][] p = outputs.toDoubleMatrix();
        double[][] y = labels.toDoubleMatrix();
        boolean binary = p[0].length == 1;
        setHead(binary ? HEAD_BINARY : HEAD_SOFTMAX);
        for (int i = 0; i < p.length; i++) {
            int actual;
            int predicted;
            double loss;
            if (binary) {
                double q = Math.min(Math.max(p[i][0], EPS), 1 - EPS);
                actual = y[i][0] > 0.5 ? 1 : 0;
                predicted = p[i][0] >= 0.5 ? 1 : 0;
                loss = -(actual == 1 ? Math.log(q) : Math.log(1 - q));
                if (actual == predicted) {
                    topK[0]++;
                }
                addScore((float) p[i][0], actual == 1);
            } else {
                actual = argmax(y[i]);
                predicted = argmax(p[i]);
                loss = -Math.log(Math.max(p[i][actual], EPS));
                for (int k = rank(p[i], actual); k < topK.length; k++) {
                    topK[k]++;
                }
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
        if (other.head != HEAD_NONE) {
            setHead(other.head);
        }
        for (int k = 0; k < topK.length; k++) {
            topK[k] += other.topK[k];
        }
        positiveScores = append(positiveScores, positives, other.positiveScores, other.positives);
        positives += other.positives;
        negativeScores = append(negativeScores, negatives, other.negativeScores, other.negatives);
        negatives += other.negatives;
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

    /** Largest k whose top-k accuracy is kept: min(5, classes) for softmax heads, 1 for a binary head. */
    public int maxTopK() {
        return head == HEAD_BINARY ? 1 : topK.length;
    }

    /**
     * Fraction of examples whose actual class is among the k highest probabilities (1 <= k <=
     * {@link #maxTopK()}). Ties rank the lower class index first, as the argmax does, so top-1
     * accuracy equals {@link #accuracy()}.
     */
    public double topKAccuracy(int k) {
        if (k < 1 || k > maxTopK()) {
            throw new IllegalArgumentException("k=" + k + ": must be in [1, " + maxTopK() + "]"
                    + (head == HEAD_BINARY ? "; a binary head keeps top-1 only" : ""));
        }
        return count == 0 ? Double.NaN : (double) topK[k - 1] / count;
    }

    /**
     * Exact ROC AUC of a binary head: the Mann-Whitney U statistic over all (positive, negative)
     * pairs, a tie counting 1/2, divided by positives * negatives. The pairs are counted on sorted
     * scores in integer arithmetic, so the result is the same for any split and merge order. NaN
     * for a softmax head or when either label is absent. Sorts the stored scores in place.
     */
    public double rocAuc() {
        if (head != HEAD_BINARY || positives == 0 || negatives == 0) {
            return Double.NaN;
        }
        Arrays.sort(positiveScores, 0, positives);
        Arrays.sort(negativeScores, 0, negatives);
        long twiceU = 0; // sum over positives of 2 * #(negatives below) + #(negatives tied)
        int below = 0;
        int belowOrTied = 0;
        for (int i = 0; i < positives; i++) {
            float s = positiveScores[i];
            while (below < negatives && Float.compare(negativeScores[below], s) < 0) {
                below++;
            }
            if (belowOrTied < below) {
                belowOrTied = below;
            }
            while (belowOrTied < negatives && Float.compare(negativeScores[belowOrTied], s) <= 0) {
                belowOrTied++;
            }
            twiceU += below + belowOrTied;
        }
        return twiceU / (2.0 * positives * negatives);
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

    /**
     * The {@code final} block of metrics.json: loss, accuracy, per-class P/R/F1, macro F1, confusion,
     * then {@code top5_accuracy} ({@code top<k>_accuracy} for k = {@link #maxTopK()} when fewer than 5
     * are kept) and, for a binary head, {@code roc_auc} (null when a label is absent).
     */
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
        if (head != HEAD_NONE) {
            m.put("top" + maxTopK() + "_accuracy", topKAccuracy(maxTopK()));
        }
        if (head == HEAD_BINARY) {
            m.put("roc_auc", MetricsJson.orNull(rocAuc()));
        }
        return m;
    }

    private void setHead(int kind) {
        if (head != HEAD_NONE && head != kind) {
            throw new IllegalArgumentException("outputs=" + (kind == HEAD_BINARY ? "[b, 1]" : "[b, C]")
                    + ": these metrics already hold " + (head == HEAD_BINARY ? "binary [b, 1]" : "softmax [b, C]")
                    + " outputs; use one ClassificationMetrics per head");
        }
        head = kind;
    }

    private void addScore(float score, boolean positive) {
        if (positive) {
            positiveScores = ensureCapacity(positiveScores, positives + 1);
            positiveScores[positives++] = score;
        } else {
            negativeScores = ensureCapacity(negativeScores, negatives + 1);
            negativeScores[negatives++] = score;
        }
    }

    private static float[] ensureCapacity(float[] a, int needed) {
        if (needed <= a.length) {
            return a;
        }
        int limit = Integer.MAX_VALUE - 8; // largest array most JVMs allocate
        if (needed < 0 || needed > limit) {
            throw new IllegalStateException("scores=" + Integer.toUnsignedString(needed) + ": more than " + limit
                    + " examples of one label; evaluate a sample");
        }
        long grown = Math.max(needed, Math.max(16L, 2L * a.length));
        return Arrays.copyOf(a, (int) Math.min(grown, limit));
    }

    private static float[] append(float[] a, int size, float[] b, int bSize) {
        float[] out = ensureCapacity(a, size + bSize);
        System.arraycopy(b, 0, out, size, bSize);
        return out;
    }

    /** Number of classes ranked above {@code actual}: higher probability, or equal and a lower index. */
    private static int rank(double[] p, int actual) {
        int r = 0;
        for (int c = 0; c < p.length; c++) {
            if (p[c] > p[actual] || (p[c] == p[actual] && c < actual)) {
                r++;
            }
        }
        return r;
    }

    /** Index of the largest value; ties go to the lower index. */
    public static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
