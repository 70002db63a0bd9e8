package dev.kindling.core.text;

/**
 * One sequence's attention keys and values, every block's, for the positions a {@link CachedGptDecoder}
 * has run so far; the seed's "past_key_values". Keys are stored transposed, position fastest, so a query's
 * scores against all positions are row updates ({@code scores[s] += q[e] * k[e][s]}) that HotSpot
 * vectorizes; values keep the projection's (T, C) order, head {@code j} in columns {@code j * d .. (j + 1) * d}.
 *
 * <pre>
 * array    shape                   seed (PyTorch)
 * keys     [L][C * ctx]            k (B=1, h, T, d) per block, stored (h, d, ctx): k[l][(j * d + e) * ctx + p]
 * values   [L][ctx * C]            v (B=1, h, T, d) per block, stored (ctx, C):    v[l][p * C + j * d + e]
 * </pre>
 */
public final class KvCache {
    final float[][] keys;
    final float[][] values;
    /** Positions held: the next token runs at this position (0 when empty). */
    int length;

    KvCache(int layers, int context, int width) {
        keys = new float[layers][context * width];
        values = new float[layers][context * width];
    }

    /** Positions held, in [0, context]. */
    public int length() {
        return length;
    }
}
