package dev.kindling.spark.prepare;

import java.util.List;
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
        return of(new SplittableRandom(seed * 1_000_003L + key.hashCode()).nextDouble());
    }

    private SeededSplit() {}
}
