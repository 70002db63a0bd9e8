package dev.kindling.core.sequence;

import dev.kindling.core.data.ArrayRows;
import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.Rows;
import dev.kindling.core.data.Task;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The seed's sequence tasks ("Model Sequences, Time, and Memory"), generated from one seed. Features
 * are built time-major {@code x[t][c]} like the seed's {@code (B, T, C)} tensors and stored in DL4J's
 * NCW layout through {@link SequenceLayout}.
 *
 * <ul>
 * <li>{@code seq-classify}: the seed's shape, 50 steps of 16 N(0, 1) features, 2 classes; channel 0 is
 *     shifted by +0.5 (class 1) or -0.5 (class 0) at every step. One step alone says little (69%), the
 *     mean over the sequence says nearly everything, so a model must integrate over time.</li>
 * <li>{@code seq-random}: the seed's own data, random labels: nothing to learn (accuracy stays near 0.5).</li>
 * <li>{@code seq-varlen}: {@code seq-classify} with lengths uniform in [10, 50], right-padded with zeros,
 *     feature masks {@code [T]} and a per-sequence label mask {@code [1]}.</li>
 * <li>{@code sines}: windows of a noisy sum of two sines for forecasting {@code horizon} steps ahead.</li>
 * </ul>
 */
public final class SequenceTasks {
    /** The seed's SEQ_LEN and FEAT. */
    public static final int STEPS = 50;
    public static final int FEATURES = 16;
    /** Class separation of {@code seq-classify}: channel 0's mean is +-SHIFT. */
    public static final double SHIFT = 0.5;
    /** Shortest sequence of {@code seq-varlen}. */
    public static final int MIN_LENGTH = 10;
    static final List<String> CLASS_NAMES = List.of("class0", "class1");

    /** Examples per split: train, val, test. */
    public record Sizes(int train, int val, int test) {
        public Sizes {
            if (train < 1 || val < 1 || test < 1) {
                throw new IllegalArgumentException("sizes " + train + "/" + val + "/" + test + ": every split needs >= 1 example");
            }
        }
    }

    /** {@code seq-classify} ({@code learnable}) or {@code seq-random}. */
    public static DatasetWriter.Source classification(long seed, boolean learnable, Sizes sizes) {
        Random rng = new Random(seed);
        String name = learnable ? "seq-classify" : "seq-random";
        Map<String, Rows> splits = new LinkedHashMap<>();
        splits.put("train", classRows(rng, sizes.train(), learnable, false));
        splits.put("val", classRows(rng, sizes.val(), learnable, false));
        splits.put("test", classRows(rng, sizes.test(), learnable, false));
        return new DatasetWriter.Source(name, name, Task.CLASSIFICATION, new int[] {FEATURES, STEPS}, new int[] {2}, 2, false,
                CLASS_NAMES, false, Map.of("steps", String.valueOf(STEPS)), splits);
    }

    /** {@code seq-varlen}: variable lengths, right padding, masks. */
    public static DatasetWriter.Source variableLength(long seed, Sizes sizes) {
        Random rng = new Random(seed);
        Map<String, Rows> splits = new LinkedHashMap<>();
        splits.put("train", classRows(rng, sizes.train(), true, true));
        splits.put("val", classRows(rng, sizes.val(), true, true));
        splits.put("test", classRows(rng, sizes.test(), true, true));
        return new DatasetWriter.Source("seq-varlen", "seq-varlen", Task.CLASSIFICATION, new int[] {FEATURES, STEPS}, new int[] {2},
                2, false, CLASS_NAMES, true, Map.of("steps", String.valueOf(STEPS), "min-length", String.valueOf(MIN_LENGTH)), splits);
    }

    static ArrayRows classRows(Random rng, int n, boolean learnable, boolean variable) {
        float[] f = new float[n * FEATURES * STEPS];
        float[] y = new float[n * 2];
        float[] fm = variable ? new float[n * STEPS] : null;
        float[] lm = variable ? new float[n] : null;
        for (int i = 0; i < n; i++) {
            int label = rng.nextInt(2);
            int length = variable ? MIN_LENGTH + rng.nextInt(STEPS - MIN_LENGTH + 1) : STEPS;
            float[][] x = new float[STEPS][FEATURES]; // (T, C) as in the seed; padding stays 0
            for (int t = 0; t < length; t++) {
                for (int c = 0; c < FEATURES; c++) {
                    x[t][c] = (float) rng.nextGaussian();
                }
                if (learnable) {
                    x[t][0] += (float) (label == 1 ? SHIFT : -SHIFT);
                }
            }
            System.arraycopy(SequenceLayout.toNcw(x), 0, f, i * FEATURES * STEPS, FEATURES * STEPS);
            y[i * 2 + label] = 1f;
            if (variable) {
                System.arraycopy(SequenceLayout.mask(length, STEPS), 0, fm, i * STEPS, STEPS);
                lm[i] = 1f; // every sequence's label is real
            }
        }
        return new ArrayRows(new int[] {FEATURES, STEPS}, f, new int[] {2}, y, fm, lm);
    }

    /**
     * {@code sines}: each example is its own series {@code sum_k a_k sin(2 pi t / P_k + phi_k) + noise},
     * periods {@link #PERIODS}, amplitudes uniform in [0.5, 1.5], phases uniform, Gaussian noise of
     * {@code noise}; features are {@code window} steps {@code [1, window]}, labels the next {@code horizon}
     * values (noisy, as a real series would be). The manifest asks for the naive last-value baseline.
     */
    public static DatasetWriter.Source sines(long seed, int window, int horizon, double noise, Sizes sizes) {
        Random rng = new Random(seed);
        Map<String, Rows> splits = new LinkedHashMap<>();
        splits.put("train", sineRows(rng, sizes.train(), window, horizon, noise));
        splits.put("val", sineRows(rng, sizes.val(), window, horizon, noise));
        splits.put("test", sineRows(rng, sizes.test(), window, horizon, noise));
        return forecast("sines", "sines", window, horizon, Map.of("noise", String.valueOf(noise)), splits);
    }

    /** Periods of the two sine components, in steps. */
    public static final double[] PERIODS = {16, 37};

    static ArrayRows sineRows(Random rng, int n, int window, int horizon, double noise) {
        float[] f = new float[n * window];
        float[] y = new float[n * horizon];
        for (int i = 0; i < n; i++) {
            double[] a = new double[PERIODS.length];
            double[] phi = new double[PERIODS.length];
            for (int k = 0; k < PERIODS.length; k++) {
                a[k] = 0.5 + rng.nextDouble();
                phi[k] = 2 * Math.PI * rng.nextDouble();
            }
            for (int t = 0; t < window + horizon; t++) {
                double v = noise * rng.nextGaussian();
                for (int k = 0; k < PERIODS.length; k++) {
                    v += a[k] * Math.sin(2 * Math.PI * t / PERIODS[k] + phi[k]);
                }
                if (t < window) {
                    f[i * window + t] = (float) v; // [C=1, T=window]: NCW and (T, C) coincide for one channel
                } else {
                    y[i * horizon + t - window] = (float) v;
                }
            }
        }
        return new ArrayRows(new int[] {1, window}, f, new int[] {horizon}, y);
    }

    /** A forecasting source: features {@code [1, window]}, labels {@code [horizon]}, last-value baseline. */
    static DatasetWriter.Source forecast(String name, String source, int window, int horizon, Map<String, String> extra,
                                         Map<String, Rows> splits) {
        Map<String, String> attributes = new LinkedHashMap<>(extra);
        attributes.put("baseline", "last-value");
        attributes.put("window", String.valueOf(window));
        attributes.put("horizon", String.valueOf(horizon));
        return new DatasetWriter.Source(name, source, Task.REGRESSION, new int[] {1, window}, new int[] {horizon}, 0, false,
                List.of(), false, attributes, splits);
    }

    private SequenceTasks() {}
}
