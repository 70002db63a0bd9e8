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

    /** @param description the job's name in Spark's UI; the thread's own description is back afterwards */
    static <T> List<T> collect(JavaSparkContext sc, String description, Probe<T> probe) {
        int tasks = Math.max(1, sc.defaultParallelism()) * 4;
        String before = sc.getLocalProperty(JOB_DESCRIPTION);
        sc.setJobDescription(description);
        try {
            return sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks).mapPartitions(i -> probe.run().iterator()).collect();
        } finally {
            sc.setLocalProperty(JOB_DESCRIPTION, before);
        }
    }

    /** Spark's thread-local property that names the jobs a thread starts (SparkContext.SPARK_JOB_DESCRIPTION). */
    static final String JOB_DESCRIPTION = "spark.job.description";

    private OnExecutors() {}
}
