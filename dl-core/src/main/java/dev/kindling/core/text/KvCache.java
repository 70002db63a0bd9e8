package dev.kindling.core.text;

/**
 * One sequence's attention keys and values, every block's, for the positions a {@link CachedGptDecoder}
 * has run so far; the seed's "past_key_values". Position {@code p}'s key of block {@code l} is
 * {@code keys[l][p * C .. (p + 1) * C)}, head {@code j} in columns {@code j * d .. (j + 1) * d} (d = C / h),
 * the column order of the fused QKV projection's K block.
 *
 * <pre>
 * array    shape            seed (PyTorch)
 * keys     [L][ctx * C]     k (B=1, h, T, d) per block, stored (T, C)
 * values   [L][ctx * C]     v (B=1, h, T, d) per block, stored (T, C)
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
