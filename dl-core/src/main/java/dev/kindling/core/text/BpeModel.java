package dev.kindling.core.text;

import dev.kindling.core.io.InputException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model of a {@code tokenizer.json}: one pre-token (a string of {@link ByteLevelAlphabet}
 * symbols) to ids, as the library's {@code BPE::merge_word} and {@code Word::merge_all} do it. Each
 * symbol starts as its vocab id; then, repeatedly, the adjacent pair with the lowest merge rank
 * (ties: the leftmost) is merged into the id of the concatenated string. With {@code ignoreMerges} a
 * pre-token that is itself in the vocab is that one id, merges or not (Llama 3 does this).
 */
final class BpeModel {
    /** HF's cache bounds: pre-tokens up to 256 bytes, 10,000 of them. */
    private static final int CACHE_WORD_LENGTH = 256, CACHE_SIZE = 10_000;

    private final Map<String, Integer> vocab;
    private final Map<Long, long[]> merges;      // (left id, right id) -> {rank, new id}
    private final boolean ignoreMerges;
    private final Integer unkId;                 // null: an unknown symbol is an error
    private final boolean fuseUnk;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param merges in rank order, each {left, right} token; a later duplicate pair wins, as in the library
     * @throws InputException naming a merge whose token or result is not in the vocab
     */
    BpeModel(Map<String, Integer> vocab, String[][] merges, boolean ignoreMerges, String unkToken, boolean fuseUnk) {
        this.vocab = Map.copyOf(vocab);
        this.merges = new HashMap<>();
        for (int rank = 0; rank < merges.length; rank++) {
            String a = merges[rank][0], b = merges[rank][1];
            Integer left = vocab.get(a), right = vocab.get(b), merged = vocab.get(a + b);
            String missing = left == null ? a : right == null ? b : merged == null ? a + b : null;
            if (missing != null) {
                throw new InputException("tokenizer.json: merge " + rank + " '" + a + " " + b + "' needs token '" + missing
                        + "', which is not in model.vocab; every merge's two tokens and their concatenation must be in the vocab");
            }
            this.merges.put(pair(left, right), new long[] {rank, merged});
        }
        this.ignoreMerges = ignoreMerges;
        this.unkId = unkToken == null ? null : vocab.get(unkToken);
        this.fuseUnk = fuseUnk;
    }

    /** The ids of one pre-token. */
    int[] tokenize(String word) {
        if (word.isEmpty()) {
            return new int[0];
        }
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) {
                return new int[] {whole};
            }
        }
        int[] cached = cache.get(word);
        if (cached != null) {
            return cached;
        }
        int[] ids = merge(word);
        if (word.length() < CACHE_WORD_LENGTH && cache.size() < CACHE_SIZE) {
            cache.put(word, ids);
        }
        return ids;
    }

    private int[] merge(String word) {
        // the symbols as a linked list over their first positions, as the library's Word is
        int n = word.length();
        int[] id = new int[n], prev = new int[n], next = new int[n];
        boolean[] removed = new boolean[n];
        int count = 0;
        boolean pendingUnk = false;
        for (int i = 0; i < n; i++) {
            String symbol = String.valueOf(word.charAt(i));
            Integer known = vocab.get(symbol);
            if (known == null) {
                if (unkId == null) {
                    int b = ByteLevelAlphabet.byteOf(word.charAt(i));
                    throw new InputException("tokenizer.json: symbol '" + symbol + "'" + (b >= 0 ? " (byte 0x" + Integer.toHexString(b) + ")" : "")
                            + " is not in model.vocab, and model.unk_token is null or not in the vocab (the library would drop the symbol "
                            + "or fail); use a vocab with all 256 byte symbols or set model.unk_token to a vocab token");
                }
                if (pendingUnk && fuseUnk) {
                    continue;                        // fused into the unk before it
                }
                pendingUnk = true;
                known = unkId;
            } else {
                pendingUnk = false;
            }
            id[count++] = known;
        }
        for (int i = 0; i < count; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
        }
        PriorityQueue<long[]> queue = new PriorityQueue<>(   // {rank, pos, new id}: lowest rank, then leftmost
                (x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
        for (int i = 0; i + 1 < count; i++) {
            offer(queue, i, id[i], id[i + 1]);
        }
        while (!queue.isEmpty()) {
            long[] top = queue.poll();
            int pos = (int) top[1];
            if (removed[pos] || next[pos] < 0) {
                continue;
            }
            int right = next[pos];
            long[] current = merges.get(pair(id[pos], id[right]));
            if (current == null || current[1] != top[2]) {
                continue;                            // an expired entry (compared by new id, as the library does)
            }
            id[pos] = (int) top[2];
            removed[right] = true;
            next[pos] = next[right];
            if (next[pos] >= 0) {
                prev[next[pos]] = pos;
            }
            if (prev[pos] >= 0) {
                offer(queue, prev[pos], id[prev[pos]], id[pos]);
            }
            if (next[pos] >= 0) {
                offer(queue, pos, id[pos], id[next[pos]]);
            }
        }
        int[] out = new int[count];
        int k = 0;
        for (int i = 0; i < count; i++) {
            if (!removed[i]) {
                out[k++] = id[i];
            }
        }
        return Arrays.copyOf(out, k);
    }

    private void offer(PriorityQueue<long[]> queue, int pos, int left, int right) {
        long[] m = merges.get(pair(left, right));
        if (m != null) {
            queue.add(new long[] {m[0], pos, m[1]});
        }
    }

    private static long pair(int a, int b) {
        return ((long) a << 32) | (b & 0xffffffffL);
    }
}
