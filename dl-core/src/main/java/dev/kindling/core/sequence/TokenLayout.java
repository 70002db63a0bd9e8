package dev.kindling.core.sequence;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.data.Manifest;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a seq2seq dataset lays out its tokens, written into the manifest's attributes by prepare-data
 * and read back by training, evaluation and {@code generate}: the vocabulary (a token id is an index
 * into it), the source and target lengths, and the ids of begin, end and padding. A plain class, not
 * a record: evaluation metrics that hold it are shipped to Spark executors.
 */
public final class TokenLayout implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String vocab;
    private final int sourceLength;
    private final int targetLength;
    private final int bos;
    private final int eos;
    private final int pad;

    /**
     * @param vocab        one character per token id
     * @param sourceLength Ts, source ids per example (left-padded)
     * @param targetLength Td, decoder steps per example (targets plus EOS, right-padded)
     */
    public TokenLayout(String vocab, int sourceLength, int targetLength, int bos, int eos, int pad) {
        if (sourceLength < 1 || targetLength < 1) {
            throw new IllegalArgumentException("lengths " + sourceLength + "/" + targetLength + ": must be >= 1");
        }
        for (int id : new int[] {bos, eos, pad}) {
            if (id < 0 || id >= vocab.length()) {
                throw new IllegalArgumentException("special id " + id + " outside the vocabulary of " + vocab.length());
            }
        }
        this.vocab = vocab;
        this.sourceLength = sourceLength;
        this.targetLength = targetLength;
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
    }

    public static TokenLayout of(Manifest m) {
        try {
            return new TokenLayout(m.attribute("vocab"), Integer.parseInt(m.attribute("source-length")),
                    Integer.parseInt(m.attribute("target-length")), Integer.parseInt(m.attribute("bos")),
                    Integer.parseInt(m.attribute("eos")), Integer.parseInt(m.attribute("pad")));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("data=" + m.name() + ": seq2seq token attributes unreadable (" + e.getMessage() + "); re-run prepare-data");
        }
    }

    public Map<String, String> attributes() {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("vocab", vocab);
        a.put("source-length", String.valueOf(sourceLength));
        a.put("target-length", String.valueOf(targetLength));
        a.put("bos", String.valueOf(bos));
        a.put("eos", String.valueOf(eos));
        a.put("pad", String.valueOf(pad));
        return a;
    }

    public String vocab() {
        return vocab;
    }

    public int vocabSize() {
        return vocab.length();
    }

    public int sourceLength() {
        return sourceLength;
    }

    public int targetLength() {
        return targetLength;
    }

    public int bos() {
        return bos;
    }

    public int eos() {
        return eos;
    }

    public int pad() {
        return pad;
    }

    private int firstOrdinary() {
        return Math.max(Math.max(bos, eos), pad) + 1;
    }

    /** A prompt's characters as source ids, left-padded to {@link #sourceLength}; a clear error for others. */
    public int[] encodeSource(String text) {
        if (text.isEmpty() || text.length() > sourceLength) {
            throw new ConfigException("prompt=" + text + ": must be 1 to " + sourceLength + " characters for this model");
        }
        int[] ids = new int[sourceLength];
        java.util.Arrays.fill(ids, pad);
        int offset = sourceLength - text.length();
        for (int i = 0; i < text.length(); i++) {
            int id = vocab.indexOf(text.charAt(i));
            if (id < firstOrdinary()) {
                throw new ConfigException("prompt=" + text + ": character '" + text.charAt(i) + "' is not in the model's vocabulary; valid: "
                        + vocab.substring(firstOrdinary()));
            }
            ids[offset + i] = id;
        }
        return ids;
    }

    /** Ids up to (not including) the first EOS. */
    public int[] untilEos(int[] ids) {
        int n = 0;
        while (n < ids.length && ids[n] != eos) {
            n++;
        }
        return java.util.Arrays.copyOf(ids, n);
    }

    /** Ids up to (not including) EOS as text. */
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : untilEos(ids)) {
            sb.append(id >= 0 && id < vocab.length() ? vocab.charAt(id) : '?');
        }
        return sb.toString();
    }
}
