package dev.kindling.core.data;

import java.util.List;
import java.util.Map;
import java.util.Random;

/** The seed's synthetic tasks, generated from one seed so a dataset is reproducible. */
public final class SeedTasks {

    /**
     * Section 1's 4-class task: x ~ N(0, I_2), label = (x0 > 0) + 2 (x1 > 0). The seed trains on 1000
     * points; Kindling adds a 500-point validation and a 1000-point test split from the same stream.
     */
    public static DatasetWriter.Source quadrants(long seed) {
        Random rng = new Random(seed);
        return DatasetWriter.Source.classification("seed-quadrants", "seed-quadrants", new int[] {2}, 4, false,
                List.of("x<0,y<0", "x>0,y<0", "x<0,y>0", "x>0,y>0"),
                ordered(quadrantPoints(rng, 1000), quadrantPoints(rng, 500), quadrantPoints(rng, 1000)));
    }

    static Examples quadrantPoints(Random rng, int n) {
        float[][] x = new float[n][2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[i][0] = (float) rng.nextGaussian();
            x[i][1] = (float) rng.nextGaussian();
            y[i] = (x[i][0] > 0 ? 1 : 0) + 2 * (x[i][1] > 0 ? 1 : 0);
        }
        return new Examples(x, y);
    }

    /**
     * Section 2's binary task: X ~ N(0, I_20), y = (sum(x) > 0), 2000 points split 1600/200/200 by a
     * seeded permutation (the seed's random_split).
     */
    public static DatasetWriter.Source sum(long seed) {
        Random rng = new Random(seed);
        int n = 2000;
        int d = 20;
        float[][] x = new float[n][d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                x[i][j] = (float) rng.nextGaussian();
                s += x[i][j];
            }
            y[i] = s > 0 ? 1 : 0;
        }
        int[] perm = permutation(n, rng);
        return DatasetWriter.Source.classification("seed-sum", "seed-sum", new int[] {d}, 2, true, List.of("sum<=0", "sum>0"),
                ordered(take(x, y, perm, 0, 1600), take(x, y, perm, 1600, 1800), take(x, y, perm, 1800, 2000)));
    }

    static Map<String, Examples> ordered(Examples train, Examples val, Examples test) {
        Map<String, Examples> m = new java.util.LinkedHashMap<>();
        m.put("train", train);
        m.put("val", val);
        m.put("test", test);
        return m;
    }

    /** Fisher-Yates permutation of 0..n-1. */
    public static int[] permutation(int n, Random rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    static Examples take(float[][] x, int[] y, int[] order, int from, int to) {
        float[][] fx = new float[to - from][];
        int[] fy = new int[to - from];
        for (int i = from; i < to; i++) {
            fx[i - from] = x[order[i]];
            fy[i - from] = y[order[i]];
        }
        return new Examples(fx, fy);
    }

    private SeedTasks() {}
}
