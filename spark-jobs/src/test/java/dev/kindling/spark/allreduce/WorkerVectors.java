package dev.kindling.spark.allreduce;

import java.util.Random;

/** Test vectors for the all-reduces: each worker's values over seven decades (sums that round), and bf16's rounding. */
final class WorkerVectors {
    /** {@code workers} vectors of {@code length} Gaussian values scaled by 1e-4 .. 1e2, from {@code seed}. */
    static float[][] of(int workers, int length, long seed) {
        Random random = new Random(seed);
        float[][] v = new float[workers][length];
        for (float[] x : v) {
            for (int i = 0; i < length; i++) {
                x[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(7) - 4));
            }
        }
        return v;
    }

    /** {@code x} rounded to bf16 and back, as the bf16 wire rounds it. */
    static float bf16(float x) {
        return Float.intBitsToFloat(Bf16.toFloatBits(Bf16.fromFloatBits(Float.floatToRawIntBits(x))));
    }

    private WorkerVectors() {}
}
