package dev.kindling.core.metrics;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sequence-level exact match and token accuracy of a seq2seq model's decoded outputs; mergeable
 * like {@link ClassificationMetrics}, and exact, since everything is a count.
 *
 * <p>A sequence matches when it has the expected length and every token is equal. Token accuracy
 * compares position by position; positions beyond the shorter of the two sequences count as wrong,
 * so a prediction that stops early or runs on is penalized: correct / sum of max(lengths).
 */
public final class ExactMatchMetrics implements Serializable {
    private static final long serialVersionUID = 1L;

    private long sequences;
    private long exactMatches;
    private long tokens;
    private long correctTokens;

    /** Adds a batch of decoded sequences, {@code predicted[i]} against {@code expected[i]} (token ids). */
    public void add(int[][] predicted, int[][] expected) {
        if (predicted.length != expected.length) {
            throw new IllegalArgumentException("predicted=" + predicted.length + " sequences, expected="
                    + expected.length + ": must be equal");
        }
        for (int i = 0; i < predicted.length; i++) {
            int[] p = predicted[i];
            int[] y = expected[i];
            if (p == null || y == null) {
                throw new IllegalArgumentException("sequence " + i + " is null; pass an empty array for an empty output");
            }
            int shorter = Math.min(p.length, y.length);
            int correct = 0;
            for (int j = 0; j < shorter; j++) {
                if (p[j] == y[j]) {
                    correct++;
                }
            }
            correctTokens += correct;
            tokens += Math.max(p.length, y.length);
            if (p.length == y.length && correct == y.length) {
                exactMatches++;
            }
            sequences++;
        }
    }

    public ExactMatchMetrics merge(ExactMatchMetrics other) {
        sequences += other.sequences;
        exactMatches += other.exactMatches;
        tokens += other.tokens;
        correctTokens += other.correctTokens;
        return this;
    }

    public long sequences() {
        return sequences;
    }

    public long exactMatches() {
        return exactMatches;
    }

    /** Compared positions: the sum over sequences of the longer of the two lengths. */
    public long tokens() {
        return tokens;
    }

    public long correctTokens() {
        return correctTokens;
    }

    /** Fraction of sequences reproduced exactly; NaN with no sequences. */
    public double exactMatch() {
        return sequences == 0 ? Double.NaN : (double) exactMatches / sequences;
    }

    /** Correct positions over compared positions; NaN when there are none. */
    public double tokenAccuracy() {
        return tokens == 0 ? Double.NaN : (double) correctTokens / tokens;
    }

    /** Keys {@code exact_match, token_accuracy, sequences}. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("exact_match", MetricsJson.orNull(exactMatch()));
        m.put("token_accuracy", MetricsJson.orNull(tokenAccuracy()));
        m.put("sequences", sequences);
        return m;
    }
}
