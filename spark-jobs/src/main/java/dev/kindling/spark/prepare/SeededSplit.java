package dev.kindling.spark.prepare;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** The splits of a table or image dataset, and the rule that assigns one when the source does not say. */
final class SeededSplit {
    static final List<String> SPLITS = List.of("train", "val", "test");
    /** An example is train with this probability, else val or test, half and half. */
    static final double TRAIN_FRACTION = 0.9;

    /** The split of an example given {@code u}, uniform in [0, 1) and drawn from the seed. */
    static String of(double u) {
        return u < TRAIN_FRACTION ? "train" : u < (1 + TRAIN_FRACTION) / 2 ? "val" : "test";
    }

    /** The split of the example named {@code key} (a path): the same for the same seed wherever, and in whichever partition, it is read. */
    static String of(long seed, String key) {
        return of(draw(seed, key));
    }

    /** A number uniform in [0, 1) drawn from {@code seed} and {@code key} alone. */
    private static double draw(long seed, String key) {
        return new SplittableRandom(seed * 1_000_003L + key.hashCode()).nextDouble();
    }

    /**
     * Splits for whole documents known up front (the files of a corpus): ordered by a seeded draw from each
     * key (a path), the first 5% (at least one) are val, the next as many test, the rest train; so a corpus
     * of a few files still has val and test. Fewer than 3 keys: all train.
     */
    static Map<String, String> ofAll(long seed, List<String> keys) {
        List<String> order = new ArrayList<>(keys);
        order.sort(Comparator.comparingDouble((String key) -> draw(seed, key)).thenComparing(Comparator.naturalOrder()));
        int holdout = keys.size() < 3 ? 0 : (int) Math.max(1, Math.round(keys.size() * (1 - TRAIN_FRACTION) / 2));
        Map<String, String> splits = new HashMap<>();
        for (int i = 0; i < order.size(); i++) {
            splits.put(order.get(i), i < holdout ? "val" : i < 2 * holdout ? "test" : "train");
        }
        return splits;
    }

    private SeededSplit() {}
}
