package dev.kindling.core.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

/** Uneven row ranges for merge tests, standing in for the shards executors see. */
final class Split {

    /** {@code parts} non-empty ranges {from, to} covering [0, n) at random cut points, in shuffled order. */
    static List<int[]> unevenShuffled(int n, int parts, Random random) {
        TreeSet<Integer> cuts = new TreeSet<>();
        while (cuts.size() < parts - 1) {
            cuts.add(1 + random.nextInt(n - 1));
        }
        List<int[]> ranges = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            ranges.add(new int[] {from, cut});
            from = cut;
        }
        ranges.add(new int[] {from, n});
        Collections.shuffle(ranges, random);
        return ranges;
    }

    private Split() {}
}
