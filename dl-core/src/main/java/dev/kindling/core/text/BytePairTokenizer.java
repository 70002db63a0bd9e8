package dev.kindling.core.text;

import dev.kindling.core.io.InputException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Byte-level BPE (GPT-2's scheme, without its regex): ids 0-255 are the UTF-8 bytes, id 256 + i the
 * i-th learned merge of two ids. Text is first cut into chunks (an optional space and a run of
 * letters, a run of digits, or one other character) and merges never cross a chunk, so a word is
 * encoded the same wherever it occurs. Every string encodes (unseen bytes stay single-byte tokens)
 * and decodes back exactly. {@link TokenizerJson#write} exports it as a Hugging Face tokenizer.json
 * that encodes the same ids there.
 */
public final class BytePairTokenizer implements Tokenizer {
    static final String KIND = "bpe";
    private final int[][] merges;                     // merge i: {left, right} -> 256 + i
    private final Map<Long, Integer> rank = new HashMap<>();
    private final byte[][] bytes;                     // id -> its bytes
    private final Map<String, int[]> cache = new HashMap<>();

    private BytePairTokenizer(int[][] merges) {
        this.merges = merges;
        this.bytes = new byte[256 + merges.length][];
        for (int b = 0; b < 256; b++) {
            bytes[b] = new byte[] {(byte) b};
        }
        for (int i = 0; i < merges.length; i++) {
            int a = merges[i][0], b = merges[i][1];
            if (a < 0 || b < 0 || a >= 256 + i || b >= 256 + i) {
                throw new InputException("bpe tokenizer: merge " + i + " refers to an id not yet defined; re-run prepare-data");
            }
            rank.put(pair(a, b), i);
            bytes[256 + i] = concat(bytes[a], bytes[b]);
        }
    }

    /**
     * Learns {@code vocabSize - 256} merges from {@code text}, most frequent pair first (ties: the
     * smaller pair key), stopping early when no pair occurs twice.
     */
    public static BytePairTokenizer train(String text, int vocabSize) {
        if (vocabSize < 257) {
            throw new IllegalArgumentException("vocab-size=" + vocabSize + ": byte-level BPE needs > 256 (256 bytes + merges)");
        }
        Map<String, Integer> chunkCounts = new HashMap<>();
        for (String chunk : chunks(text)) {
            chunkCounts.merge(chunk, 1, Integer::sum);
        }
        List<int[]> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        chunkCounts.forEach((chunk, n) -> {
            byte[] b = chunk.getBytes(StandardCharsets.UTF_8);
            int[] w = new int[b.length];
            for (int i = 0; i < b.length; i++) {
                w[i] = b[i] & 0xff;
            }
            words.add(w);
            counts.add(n);
        });
        List<int[]> merges = new ArrayList<>();
        for (int next = 256; next < vocabSize; next++) {
            Map<Long, Long> pairs = new HashMap<>();
            for (int k = 0; k < words.size(); k++) {
                int[] w = words.get(k);
                for (int i = 0; i + 1 < w.length; i++) {
                    pairs.merge(pair(w[i], w[i + 1]), (long) counts.get(k), Long::sum);
                }
            }
            long best = -1, bestCount = 1;
            for (Map.Entry<Long, Long> e : pairs.entrySet()) {
                if (e.getValue() > bestCount || (e.getValue() == bestCount && best >= 0 && e.getKey() < best)) {
                    best = e.getKey();
                    bestCount = e.getValue();
                }
            }
            if (best < 0) {
                break;
            }
            int a = (int) (best >>> 32), b = (int) best;
            merges.add(new int[] {a, b});
            for (int k = 0; k < words.size(); k++) {
                words.set(k, apply(words.get(k), a, b, next));
            }
        }
        return new BytePairTokenizer(merges.toArray(new int[0][]));
    }

    @Override
    public int vocabSize() {
        return bytes.length;
    }

    @Override
    public int[] encode(String text) {
        List<int[]> parts = new ArrayList<>();
        for (String chunk : chunks(text)) {
            parts.add(cache.computeIfAbsent(chunk, this::encodeChunk));
        }
        return TokenIds.concat(parts);
    }

    /** Applies merges in the order they were learned (lowest rank first), as GPT-2 does. */
    private int[] encodeChunk(String chunk) {
        byte[] b = chunk.getBytes(StandardCharsets.UTF_8);
        int[] w = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            w[i] = b[i] & 0xff;
        }
        while (w.length > 1) {
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < w.length; i++) {
                Integer r = rank.get(pair(w[i], w[i + 1]));
                if (r != null && r < bestRank) {
                    bestRank = r;
                }
            }
            if (bestRank == Integer.MAX_VALUE) {
                break;
            }
            w = apply(w, merges[bestRank][0], merges[bestRank][1], 256 + bestRank);
        }
        return w;
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            out.writeBytes(bytes[id]);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public String kind() {
        return KIND;
    }

    /** The bytes of token {@code id}. */
    byte[] tokenBytes(int id) {
        return bytes[id].clone();
    }

    /** Merge i is {left, right} and makes id 256 + i. */
    int[][] merges() {
        int[][] copy = new int[merges.length][];
        for (int i = 0; i < merges.length; i++) {
            copy[i] = merges[i].clone();
        }
        return copy;
    }

    /** "bpe", then one merge a line: "left right". */
    @Override
    public String serialize() {
        StringBuilder sb = new StringBuilder(KIND).append('\n');
        for (int[] m : merges) {
            sb.append(m[0]).append(' ').append(m[1]).append('\n');
        }
        return sb.toString();
    }

    static BytePairTokenizer parseBody(String body) {
        List<int[]> merges = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] p = line.trim().split(" ");
            try {
                merges.add(new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])});
            } catch (RuntimeException e) {
                throw new InputException("bpe tokenizer: unreadable merge '" + line + "'; re-run prepare-data");
            }
        }
        return new BytePairTokenizer(merges.toArray(new int[0][]));
    }

    /**
     * {@link #chunks} as a regular expression, for the {@code Split} step of an exported tokenizer.json
     * ({@link TokenizerJson#write}). {@link Character#isLetter} is exactly {@code \p{L}} (Lu, Ll, Lt,
     * Lm, Lo) and {@link Character#isDigit} exactly {@code \p{Nd}} (not {@code \p{N}}: ², ½ and Ⅻ are
     * numbers but not digits), and the alternatives are tried in the same order, so Java's regex and
     * Oniguruma (Hugging Face tokenizers) cut every text as {@link #chunks} does, for each code point
     * whose category is the same in their Unicode versions. They are not the same: Java 17 knows
     * Unicode 13 and the library's Oniguruma Unicode 15, so a letter or digit assigned since (e.g. the
     * Arabic letters U+0870-U+0887 of Unicode 14, the Nag Mundari digits U+1E4F0-U+1E4F9 of Unicode 15)
     * is one chunk per code point here and part of a run there. Such text encodes to the same bytes,
     * but the library may merge across what are chunk boundaries here.
     */
    static final String CHUNK_PATTERN = " ?\\p{L}+|\\p{Nd}+|[^\\p{L}\\p{Nd}]";

    /** An optional space and a run of letters, a run of digits, or one other code point. */
    static List<String> chunks(String text) {
        List<String> out = new ArrayList<>();
        int i = 0, n = text.length();
        while (i < n) {
            int start = i;
            int cp = text.codePointAt(i);
            if (cp == ' ' && i + 1 < n && Character.isLetter(text.codePointAt(i + 1))) {
                i++;
                cp = text.codePointAt(i);
            }
            if (Character.isLetter(cp)) {
                while (i < n && Character.isLetter(text.codePointAt(i))) {
                    i += Character.charCount(text.codePointAt(i));
                }
            } else if (Character.isDigit(cp)) {
                while (i < n && Character.isDigit(text.codePointAt(i))) {
                    i += Character.charCount(text.codePointAt(i));
                }
            } else {
                i += Character.charCount(cp);
            }
            out.add(text.substring(start, i));
        }
        return out;
    }

    private static int[] apply(int[] w, int a, int b, int id) {
        int[] out = new int[w.length];
        int n = 0;
        for (int i = 0; i < w.length; i++) {
            if (i + 1 < w.length && w[i] == a && w[i + 1] == b) {
                out[n++] = id;
                i++;
            } else {
                out[n++] = w[i];
            }
        }
        return n == w.length ? w : java.util.Arrays.copyOf(out, n);
    }

    private static long pair(int a, int b) {
        return ((long) a << 32) | (b & 0xffffffffL);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
