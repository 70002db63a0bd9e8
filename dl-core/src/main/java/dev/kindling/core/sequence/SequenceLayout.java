package dev.kindling.core.sequence;

/**
 * The one place where the seed's batch-first sequence layout meets DL4J's. PyTorch with
 * {@code batch_first=True} holds a batch of sequences as {@code (B, T, C)}; DL4J's recurrent layers
 * take {@code [B, C, T]} (NCW). Generators build each example time-major as the seed does,
 * {@code x[t][c]}, and convert here before the rows are written; shards and networks only ever see NCW.
 *
 * <pre>
 * array      seed (PyTorch)   DL4J        note
 * features   x (B, T, C)      [B, C, T]   flat row-major: NCW index = (b * C + c) * T + t
 * mask       lengths (B)      [B, T]      1 = real step, 0 = padding
 * </pre>
 */
public final class SequenceLayout {

    /** One example {@code x[t][c]} (T rows of C) as a flat NCW {@code [C, T]} block. */
    public static float[] toNcw(float[][] timeMajor) {
        int t = timeMajor.length;
        int c = t == 0 ? 0 : timeMajor[0].length;
        float[] out = new float[c * t];
        for (int step = 0; step < t; step++) {
            if (timeMajor[step].length != c) {
                throw new IllegalArgumentException("step " + step + " has " + timeMajor[step].length + " channels, expected " + c);
            }
            for (int ch = 0; ch < c; ch++) {
                out[ch * t + step] = timeMajor[step][ch]; // (T, C) -> [C, T]
            }
        }
        return out;
    }

    /** The inverse of {@link #toNcw}: a flat {@code [C, T]} block back to {@code x[t][c]}. */
    public static float[][] toTimeMajor(float[] ncw, int channels, int steps) {
        if (ncw.length != channels * steps) {
            throw new IllegalArgumentException(ncw.length + " values are not [C=" + channels + ", T=" + steps + "]");
        }
        float[][] out = new float[steps][channels];
        for (int ch = 0; ch < channels; ch++) {
            for (int step = 0; step < steps; step++) {
                out[step][ch] = ncw[ch * steps + step];
            }
        }
        return out;
    }

    /** A mask row {@code [T]}: 1 for the first {@code length} steps, 0 after (right padding). */
    public static float[] mask(int length, int steps) {
        if (length < 1 || length > steps) {
            throw new IllegalArgumentException("length=" + length + ": must be in [1, " + steps + "]");
        }
        float[] m = new float[steps];
        java.util.Arrays.fill(m, 0, length, 1f);
        return m;
    }

    private SequenceLayout() {}
}
