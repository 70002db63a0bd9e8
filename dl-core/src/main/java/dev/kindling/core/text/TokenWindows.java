package dev.kindling.core.text;

import dev.kindling.core.data.ArrayRows;
import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.Rows;
import dev.kindling.core.data.Task;
import dev.kindling.core.io.InputException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A text corpus as a language-model dataset: the token stream is split contiguously 90 / 5 / 5 into
 * train, val and test (the seed's 90/10 split, its val half kept as test), and each split is cut into
 * windows of {@code T + 1} tokens: features the first T, labels the last T (next-token targets).
 * Train windows do not overlap and are shuffled with the seed; val and test hold at most
 * {@code holdout} windows evenly spaced over their part (the seed evaluates 16 fixed batches of 16
 * this way). A corpus prepared on Spark executors is cut the same way per partition ({@link Cut}).
 *
 * <pre>
 * array      shape     seed (PyTorch)
 * features   [n, T]    x = data[i : i+T]
 * labels     [n, T]    y = data[i+1 : i+T+1]
 * </pre>
 * Manifest attributes: {@code tokenizer} (serialized, so models decode exactly), {@code seq_len},
 * {@code tokens}, {@code unigram_val_loss} (nats per token of the train part's unigram distribution on
 * the val part, add-one smoothed: the baseline a model must beat) and {@code uniform_loss} (ln V).
 */
public final class TokenWindows {
    public static final String TOKENIZER = "tokenizer";

    /**
     * @param text    the whole corpus
     * @param tok     its tokenizer
     * @param seqLen  tokens per example T (>= 1)
     * @param holdout val and test windows at most (>= 1)
     */
    public static DatasetWriter.Source source(String name, String source, String text, Tokenizer tok, int seqLen, int holdout, long seed) {
        if (seqLen < 1 || holdout < 1) {
            throw new IllegalArgumentException("seq-len=" + seqLen + ", holdout=" + holdout + ": must be >= 1");
        }
        int[] ids = tok.encode(text);
        int n = ids.length;
        if (!Cut.fits(n, seqLen)) {
            throw new InputException("corpus " + name + ": " + n + " tokens leave fewer than seq-len+1=" + (seqLen + 1)
                    + " tokens in the 5% val and test parts; use a longer text or a smaller --seq-len");
        }
        Cut cut = Cut.of(n, seqLen, holdout, seed);
        Map<String, Rows> splits = new LinkedHashMap<>();
        splits.put("train", rows(ids, cut.train(), seqLen));
        splits.put("val", rows(ids, cut.val(), seqLen));
        splits.put("test", rows(ids, cut.test(), seqLen));
        long[] trainCounts = counts(ids, 0, cut.trainEnd(), tok.vocabSize());
        long[] valCounts = counts(ids, cut.trainEnd(), cut.valEnd(), tok.vocabSize());
        return new DatasetWriter.Source(name, source, Task.LANGUAGE_MODEL, new int[] {seqLen}, new int[] {seqLen}, tok.vocabSize(),
                false, List.of(), false, attributes(tok, seqLen, n, trainCounts, valCounts), splits);
    }

    /** The manifest attributes of a language-model dataset (see the class comment). */
    public static Map<String, String> attributes(Tokenizer tok, int seqLen, long tokens, long[] trainCounts, long[] valCounts) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put(TOKENIZER, tok.serialize());
        attributes.put("seq_len", Integer.toString(seqLen));
        attributes.put("tokens", Long.toString(tokens));
        attributes.put("unigram_val_loss", Double.toString(unigramLoss(trainCounts, valCounts)));
        attributes.put("uniform_loss", Double.toString(Math.log(tok.vocabSize())));
        return attributes;
    }

    /**
     * Where a token stream of {@code n} tokens is cut: contiguous 90 / 5 / 5 parts, train window starts
     * (non-overlapping, shuffled with the seed), val and test starts (at most {@code holdout}, evenly spaced).
     */
    public record Cut(int[] train, int[] val, int[] test, int trainEnd, int valEnd) {
        /** Whether the 5% val and test parts of {@code n} tokens hold a window of {@code seqLen + 1} tokens each. */
        public static boolean fits(int n, int seqLen) {
            int trainEnd = (int) (0.9 * n);
            int valEnd = (int) (0.95 * n);
            return valEnd - trainEnd >= seqLen + 1 && n - valEnd >= seqLen + 1;
        }

        /** The cut of a stream that {@link #fits}. */
        public static Cut of(int n, int seqLen, int holdout, long seed) {
            if (seqLen < 1 || holdout < 1 || !fits(n, seqLen)) {
                throw new IllegalArgumentException("n=" + n + ", seq-len=" + seqLen + ", holdout=" + holdout + ": no room for val and test");
            }
            int trainEnd = (int) (0.9 * n);
            int valEnd = (int) (0.95 * n);
            return new Cut(shuffledStarts(trainEnd, seqLen, seed), spaced(trainEnd, valEnd, seqLen, holdout), spaced(valEnd, n, seqLen, holdout),
                    trainEnd, valEnd);
        }

        /**
         * The cut of a stream that is already train [0, trainEnd), val [trainEnd, valEnd) and test [valEnd, n)
         * (documents drawn into splits): a part shorter than a window gives none.
         */
        public static Cut at(int n, int trainEnd, int valEnd, int seqLen, int holdout, long seed) {
            if (seqLen < 1 || holdout < 1 || trainEnd < 0 || valEnd < trainEnd || n < valEnd) {
                throw new IllegalArgumentException("n=" + n + ", train end " + trainEnd + ", val end " + valEnd + ", seq-len=" + seqLen
                        + ", holdout=" + holdout);
            }
            return new Cut(shuffledStarts(trainEnd, seqLen, seed), spacedIfRoom(trainEnd, valEnd, seqLen, holdout),
                    spacedIfRoom(valEnd, n, seqLen, holdout), trainEnd, valEnd);
        }

        private static int[] spacedIfRoom(int lo, int hi, int seqLen, int holdout) {
            return hi - lo >= seqLen + 1 ? spaced(lo, hi, seqLen, holdout) : new int[0];
        }

        /** A stream too short to spare val and test windows: every window is a train window. */
        public static Cut trainOnly(int n, int seqLen, long seed) {
            return new Cut(shuffledStarts(n, seqLen, seed), new int[0], new int[0], n, n);
        }

        /** Non-overlapping starts of windows of {@code seqLen + 1} tokens (neighbours share one) inside [0, end), shuffled. */
        private static int[] shuffledStarts(int end, int seqLen, long seed) {
            int[] starts = new int[Math.max(0, (end - 1) / seqLen)];
            Arrays.setAll(starts, i -> i * seqLen);
            shuffle(starts, seed);
            return starts;
        }
    }

    /** Fisher-Yates with {@code new Random(seed)}: the order train windows are written in. */
    public static void shuffle(int[] values, long seed) {
        Random r = new Random(seed);
        for (int i = values.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = values[i];
            values[i] = values[j];
            values[j] = t;
        }
    }

    /** Up to {@code k} window starts evenly spaced so that every window lies in [lo, hi). */
    static int[] spaced(int lo, int hi, int seqLen, int k) {
        int last = hi - seqLen - 1;
        int count = Math.min(k, Math.max(1, (hi - lo) / (seqLen + 1)));
        int[] s = new int[count];
        for (int i = 0; i < count; i++) {
            s[i] = count == 1 ? lo : lo + (int) ((long) (last - lo) * i / (count - 1));
        }
        return s;
    }

    /** The windows at {@code starts}: features ids[s, s+T), labels ids[s+1, s+T+1). */
    public static ArrayRows rows(int[] ids, int[] starts, int seqLen) {
        float[] f = new float[starts.length * seqLen];
        float[] l = new float[starts.length * seqLen];
        for (int w = 0; w < starts.length; w++) {
            for (int t = 0; t < seqLen; t++) {
                f[w * seqLen + t] = ids[starts[w] + t];
                l[w * seqLen + t] = ids[starts[w] + t + 1];
            }
        }
        return new ArrayRows(new int[] {seqLen}, f, new int[] {seqLen}, l);
    }

    /** How often each id occurs in ids[from, to). */
    public static long[] counts(int[] ids, int from, int to, int vocab) {
        long[] counts = new long[vocab];
        for (int i = from; i < to; i++) {
            counts[ids[i]]++;
        }
        return counts;
    }

    /** Cross-entropy (nats per token) on the val tokens of the add-one-smoothed unigram distribution of the train tokens. */
    static double unigramLoss(long[] trainCounts, long[] valCounts) {
        double total = Arrays.stream(trainCounts).sum() + trainCounts.length;
        long val = 0;
        double sum = 0;
        for (int v = 0; v < valCounts.length; v++) {
            if (valCounts[v] > 0) {
                sum -= valCounts[v] * Math.log((trainCounts[v] + 1) / total);
                val += valCounts[v];
            }
        }
        return sum / val;
    }

    private TokenWindows() {}
}
