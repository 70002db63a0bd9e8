package dev.kindling.spark.master;

import dev.kindling.core.train.StepTelemetry;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;

/** Collects {@link StepTelemetry} records from the driver and the executors that trained. */
public final class Telemetry {

    /**
     * This JVM's records plus those of every executor a drain task reaches (a few tasks per slot;
     * anything left behind is taken by the next drain).
     */
    public static List<String> drain(JavaSparkContext sc) {
        List<String> records = new ArrayList<>(StepTelemetry.drain());
        int tasks = Math.max(1, sc.defaultParallelism()) * 4;
        records.addAll(sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks)
                .mapPartitions(i -> StepTelemetry.drain().iterator()).collect());
        return records;
    }

    private Telemetry() {}
}
