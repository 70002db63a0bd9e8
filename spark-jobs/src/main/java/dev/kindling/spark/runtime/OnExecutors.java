package dev.kindling.spark.runtime;

import java.io.Serializable;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Runs a small probe in the executor JVMs and collects what it returns: a few tasks per task slot,
 * so every executor is very likely visited (callers tolerate visiting one twice).
 */
final class OnExecutors {

    /** What each visited JVM reports. */
    @FunctionalInterface
    interface Probe<T> extends Serializable {
        List<T> run();
    }

    static <T> List<T> collect(JavaSparkContext sc, Probe<T> probe) {
        int tasks = Math.max(1, sc.defaultParallelism()) * 4;
        return sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks).mapPartitions(i -> probe.run().iterator()).collect();
    }

    private OnExecutors() {}
}
