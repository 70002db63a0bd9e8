package dev.kindling.core.sequence;

import dev.kindling.core.data.ArrayRows;
import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.Rows;
import dev.kindling.core.data.Task;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * {@code seq-reverse}: the seq2seq task, reversing a string of digits ("40172" -> "27104"), lengths
 * uniform in [minLength, maxLength]. Every string is unique across the three splits, so val and test
 * are held-out strings of the lengths trained on. Token ids index {@link #VOCAB}: padding, begin and
 * end of sequence, then the ten digits.
 *
 * <pre>
 * array            shape            content
 * features         [Ts + Td]        source ids left-padded to Ts = maxLength, then the decoder input
 *                                   [BOS, y_1 .. y_L, PAD ..] of Td = maxLength + 1 (teacher forcing)
 * labels           [V, Td]          one-hot targets [y_1 .. y_L, EOS, PAD ..]
 * label mask       [Td]             1 on the L + 1 real target positions
 * </pre>
 * Left padding keeps the real source next to the encoder's final state, so the encoder needs no
 * mask; the decoder's padding is masked out of the loss by the label mask. The manifest is not
 * {@code masked} (that flag promises feature masks): only labels carry one.
 */
public final class DigitReversal {
    /** Id 0 padding, 1 begin, 2 end, 3.. the digits. */
    public static final String VOCAB = "_^$0123456789";
    public static final int PAD = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;

    public static DatasetWriter.Source source(long seed, int minLength, int maxLength, SequenceTasks.Sizes sizes) {
        if (minLength < 1 || maxLength < minLength) {
            throw new IllegalArgumentException("lengths [" + minLength + ", " + maxLength + "]: need 1 <= min <= max");
        }
        TokenLayout layout = new TokenLayout(VOCAB, maxLength, maxLength + 1, BOS, EOS, PAD);
        Random rng = new Random(seed);
        Set<String> seen = new HashSet<>();
        Map<String, Rows> splits = new LinkedHashMap<>();
        splits.put("train", rows(rng, sizes.train(), minLength, maxLength, seen, layout));
        splits.put("val", rows(rng, sizes.val(), minLength, maxLength, seen, layout));
        splits.put("test", rows(rng, sizes.test(), minLength, maxLength, seen, layout));
        Map<String, String> attributes = new LinkedHashMap<>(layout.attributes());
        attributes.put("min-length", String.valueOf(minLength));
        return new DatasetWriter.Source("seq-reverse", "seq-reverse", Task.SEQ2SEQ, new int[] {layout.sourceLength() + layout.targetLength()},
                new int[] {layout.vocabSize(), layout.targetLength()}, layout.vocabSize(), false, List.of(), false, attributes, splits);
    }

    static ArrayRows rows(Random rng, int n, int minLength, int maxLength, Set<String> seen, TokenLayout layout) {
        long possible = 0;
        for (int len = minLength; len <= maxLength; len++) {
            possible += (long) Math.pow(10, len);
        }
        if (seen.size() + n > possible / 2) {
            throw new IllegalArgumentException(n + " more unique strings of lengths [" + minLength + ", " + maxLength
                    + "] would use over half of the " + possible + " possible; use longer strings or fewer examples");
        }
        int ts = layout.sourceLength();
        int td = layout.targetLength();
        int v = layout.vocabSize();
        float[] f = new float[n * (ts + td)];
        float[] y = new float[n * v * td];
        float[] lm = new float[n * td];
        for (int i = 0; i < n; i++) {
            String s;
            do {
                int len = minLength + rng.nextInt(maxLength - minLength + 1);
                StringBuilder sb = new StringBuilder();
                for (int k = 0; k < len; k++) {
                    sb.append((char) ('0' + rng.nextInt(10)));
                }
                s = sb.toString();
            } while (!seen.add(s));
            int[] src = layout.encodeSource(s);
            int[] tgt = target(s, layout);
            int base = i * (ts + td);
            for (int t = 0; t < ts; t++) {
                f[base + t] = src[t];
            }
            f[base + ts] = layout.bos(); // decoder input: BOS then the target shifted right
            for (int t = 0; t < td; t++) {
                if (t + 1 < td && tgt[t] != layout.eos() && tgt[t] != layout.pad()) {
                    f[base + ts + t + 1] = tgt[t];
                }
                y[(i * v + tgt[t]) * td + t] = 1f; // [V, Td]
                lm[i * td + t] = t <= s.length() ? 1f : 0f;
            }
        }
        return new ArrayRows(new int[] {ts + td}, f, new int[] {v, td}, y, null, lm);
    }

    /** Target ids {@code [Td]}: the reversed digits, EOS, then padding. */
    static int[] target(String s, TokenLayout layout) {
        int[] out = new int[layout.targetLength()];
        int len = s.length();
        for (int k = 0; k < len; k++) {
            out[k] = layout.vocab().indexOf(s.charAt(len - 1 - k));
        }
        out[len] = layout.eos();
        return out;
    }

    private DigitReversal() {}
}
