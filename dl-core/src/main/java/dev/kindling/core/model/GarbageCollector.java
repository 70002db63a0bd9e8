package dev.kindling.core.model;

import java.util.regex.Pattern;

/**
 * The garbage collector of every JVM Kindling starts: Parallel, with the young generation at most
 * 64 MB, instead of the JVM's default G1.
 *
 * <p>Why: a training step's Java objects are ND4J's per-op wrappers (arrays, views, shape buffers, op
 * contexts), hundreds of MB a second, all dead within the step; the model and its data live
 * off-heap. G1 answers that rate by growing eden to hundreds of MB, every page of which is touched
 * (resident) between collections, and charges every reference store a write barrier and its
 * refinement threads. A small young generation collected by Parallel costs little, because almost
 * nothing in it is live, and frees the off-heap buffers of dead arrays sooner. Measured on one thread
 * (docs/speed-work.md): the lstm-classifier step 1.25x per CPU-second, peak resident 1,030 -> 520 MB;
 * the seed MLP 1.3x, 2,900 -> 330 MB; SmallCNN and the GPT's speed unchanged.
 *
 * <p>The options go into {@code kindling.jvm.flags} (the parent pom: launcher, tests, benchmarks) and
 * into every executor's {@code spark.executor.extraJavaOptions} through {@link #addUnlessChosen},
 * which leaves a cluster's own collector choice alone (two collectors would stop the JVM from
 * starting).
 */
public final class GarbageCollector {
    /** The collector and the young generation's bound, as JVM options. */
    public static final String OPTIONS = "-XX:+UseParallelGC -XX:MaxNewSize=64m";

    /** A JVM option that selects a collector (-XX:+UseG1GC, ...) or sizes the young generation. */
    private static final Pattern CHOSEN = Pattern.compile("-XX:\\+Use\\w*GC\\b|-Xmn|-XX:(Max)?NewSize=");

    private GarbageCollector() {}

    /** JVM options with {@link #OPTIONS} appended, unless they already choose a collector or a young size. */
    public static String addUnlessChosen(String options) {
        if (CHOSEN.matcher(options).find()) {
            return options;
        }
        return options.isEmpty() ? OPTIONS : options + " " + OPTIONS;
    }
}
