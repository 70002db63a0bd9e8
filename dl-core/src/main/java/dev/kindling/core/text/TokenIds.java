package dev.kindling.core.text;

import java.util.List;

/** Token id arrays put end to end: a tokenizer's pieces, or a corpus' windows gathered from partitions. */
public final class TokenIds {

    /** The arrays of {@code parts}, in order, as one array. */
    public static int[] concat(List<int[]> parts) {
        int total = 0;
        for (int[] p : parts) {
            total += p.length;
        }
        int[] out = new int[total];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private TokenIds() {}
}
