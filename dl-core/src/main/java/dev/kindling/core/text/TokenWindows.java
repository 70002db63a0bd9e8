package dev.kindling.core.text;

import dev.kindling.core.data.ArrayRows;
import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.Rows;
import dev.kindling.core.data.Task;
import dev.kindling.core.io.InputException;
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
 * this way).
 *
 * <pre>
 * array      shape     seed (PyTorch)
 * features   [n, T]    x = data[i : i+T]
 * labels     [n, T]    y = data[i+1 : i+T+1]
 * </pre>
 * Manifest attributes: {@code tokenizer} (serialized, so models decode exactly), {@code seq_len},
 * {@code unigram_val_loss} (nats per token of the train split's unigram distribution on val, add-one
 * smoothed: the baseline a model must beat) and {@code uniform_loss} (ln V).
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
        int trainEnd = (int) (0.9 * n);
        int valEnd = (int) (0.95 * n);
        if (valEnd - trainEnd < seqLen + 1 || n - valEnd < seqLen + 1) {
            throw new InputException("corpus " + name + ": " + n + " tokens leave fewer than seq-len+1=" + (seqLen + 1)
                    + " tokens in the 5% val and test parts; use a longer text or a smaller --seq-len");
        }
        int trainCount = (trainEnd - 1) / seqLen;
        int[] trainStarts = new int[trainCount];
        for (int i = 0; i < trainCount; i++) {
            trainStarts[i] = i * seqLen;
        }
        Random r = new Random(seed);
        for (int i = trainCount - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = trainStarts[i];
            trainStarts[i] = trainStarts[j];
            trainStarts[j] = t;
        }
        Map<String, Rows> splits = new LinkedHashMap<>();
        splits.put("train", rows(ids, trainStarts, seqLen));
        splits.put("val", rows(ids, spaced(trainEnd, valEnd, seqLen, holdout), seqLen));
        splits.put("test", rows(ids, spaced(valEnd, n, seqLen, holdout), seqLen));
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put(TOKENIZER, tok.serialize());
        attributes.put("seq_len", Integer.toString(seqLen));
        attributes.put("tokens", Integer.toString(n));
        attributes.put("unigram_val_loss", Double.toString(unigramLoss(ids, trainEnd, valEnd, tok.vocabSize())));
        attributes.put("uniform_loss", Double.toString(Math.log(tok.vocabSize())));
        return new DatasetWriter.Source(name, source, Task.LANGUAGE_MODEL, new int[] {seqLen}, new int[] {seqLen}, tok.vocabSize(),
                false, List.of(), false, attributes, splits);
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

    private static ArrayRows rows(int[] ids, int[] starts, int seqLen) {
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

    /** Cross-entropy (nats per token) on ids[trainEnd, valEnd) of the add-one-smoothed unigram distribution of ids[0, trainEnd). */
    static double unigramLoss(int[] ids, int trainEnd, int valEnd, int vocab) {
        long[] counts = new long[vocab];
        for (int i = 0; i < trainEnd; i++) {
            counts[ids[i]]++;
        }
        double total = trainEnd + vocab;
        double sum = 0;
        for (int i = trainEnd; i < valEnd; i++) {
            sum -= Math.log((counts[ids[i]] + 1) / total);
        }
        return sum / (valEnd - trainEnd);
    }

    private TokenWindows() {}
}
