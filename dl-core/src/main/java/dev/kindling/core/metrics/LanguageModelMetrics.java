package dev.kindling.core.metrics;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Token-level cross-entropy of a language model's softmax outputs; mergeable like
 * {@link ClassificationMetrics}. The sum of {@code -ln p(target)} (p clipped at 1e-12) and the
 * token count merge by addition, so a merged loss differs from a single-JVM one only by addition
 * order.
 *
 * <pre>
 * argument  DL4J        seed (PyTorch)   note
 * probs     [B, V, T]   (B, T, V)        softmax probabilities; DL4J recurrent layout is NCW
 * labels    [B, V, T]   targets (B, T)   one-hot; or class indices as [B, 1, T] or [B, T]
 * mask      [B, T]                       optional; 0 = padding, not counted; [B, 1, T] also read
 * </pre>
 *
 * Without a mask every position counts, including one-hot label columns that are all zero.
 */
public final class LanguageModelMetrics implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final double EPS = 1e-12;
    private static final double LN2 = Math.log(2);

    private double lossSum;
    private long tokens;

    public void add(INDArray probs, INDArray labels, INDArray maskOrNull) {
        if (probs.rank() != 3) {
            throw new IllegalArgumentException("probs=" + Arrays.toString(probs.shape())
                    + ": must be [B, V, T]; DL4J's recurrent layout puts the vocabulary on axis 1");
        }
        int b = (int) probs.size(0);
        int v = (int) probs.size(1);
        int t = (int) probs.size(2);
        double[][] target = targetProbabilities(probs, labels, b, v, t); // [B, T]
        double[][] mask = maskOrNull == null ? null : mask(maskOrNull, b, t); // [B, T]
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                if (mask == null || mask[i][j] != 0) {
                    lossSum -= Math.log(Math.max(target[i][j], EPS));
                    tokens++;
                }
            }
        }
    }

    public LanguageModelMetrics merge(LanguageModelMetrics other) {
        lossSum += other.lossSum;
        tokens += other.tokens;
        return this;
    }

    public long tokens() {
        return tokens;
    }

    public double lossSum() {
        return lossSum;
    }

    /** Mean nats per counted token; NaN with no tokens. */
    public double loss() {
        return tokens == 0 ? Double.NaN : lossSum / tokens;
    }

    public double perplexity() {
        return Math.exp(loss());
    }

    public double bitsPerToken() {
        return loss() / LN2;
    }

    /** Keys {@code val_loss, perplexity, bits_per_token, tokens}. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("val_loss", MetricsJson.orNull(loss()));
        m.put("perplexity", MetricsJson.orNull(perplexity()));
        m.put("bits_per_token", MetricsJson.orNull(bitsPerToken()));
        m.put("tokens", tokens);
        return m;
    }

    /** p(target) per position, [B, T]. */
    private static double[][] targetProbabilities(INDArray probs, INDArray labels, int b, int v, int t) {
        if (Arrays.equals(labels.shape(), probs.shape())) {
            // one-hot: the product is zero except at the target, so the sum over V is p(target) exactly
            return probs.mul(labels.castTo(probs.dataType())).sum(1).reshape(b, t).toDoubleMatrix(); // [B, T]
        }
        if (labels.length() != (long) b * t || labels.size(0) != b || (labels.rank() == 3 && labels.size(1) != 1)) {
            throw new IllegalArgumentException("labels=" + Arrays.toString(labels.shape()) + ": must be one-hot ["
                    + b + ", " + v + ", " + t + "] or indices [" + b + ", 1, " + t + "] or [" + b + ", " + t + "]");
        }
        double[][] index = labels.reshape(b, t).toDoubleMatrix(); // [B, T]
        double[][] target = new double[b][t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                int k = (int) index[i][j];
                if (k != index[i][j] || k < 0 || k >= v) {
                    throw new IllegalArgumentException("labels[" + i + ", " + j + "]=" + index[i][j]
                            + ": must be a token index in [0, " + v + ")");
                }
                target[i][j] = probs.getDouble(i, k, j);
            }
        }
        return target;
    }

    private static double[][] mask(INDArray mask, int b, int t) {
        if (mask.length() != (long) b * t || mask.size(0) != b) {
            throw new IllegalArgumentException("mask=" + Arrays.toString(mask.shape()) + ": must be [" + b + ", " + t
                    + "] (or [" + b + ", 1, " + t + "]), 0 marking padding");
        }
        return mask.reshape(b, t).toDoubleMatrix(); // [B, T]
    }
}
