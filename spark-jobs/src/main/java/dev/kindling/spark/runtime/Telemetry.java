package dev.kindling.spark.runtime;

import dev.kindling.core.train.StepTelemetry;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;

/** Collects {@link StepTelemetry} records from the driver and the executors that trained. */
public final class Telemetry {

    /** This JVM's records plus those of every executor a drain task reaches (the next drain takes any left). */
    public static List<String> drain(JavaSparkContext sc) {
        List<String> records = new ArrayList<>(StepTelemetry.drain());
        records.addAll(OnExecutors.collect(sc, "step telemetry: collect the replicas' records", StepTelemetry::drain));
        return records;
    }

    private Telemetry() {}
}
