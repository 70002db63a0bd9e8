package dev.kindling.spark.prepare;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What one partition of a table or image source returns to the driver: the shards it wrote per split, the
 * examples left over per split (fewer than a batch), and the bad records it skipped, per reason. A plain
 * class, not a record: Spark's Kryo serializer cannot build records in task results.
 */
final class PartResult implements Serializable {
    private static final long serialVersionUID = 1L;
    int partition;
    long examples;
    Map<String, WrittenShards> shards = new LinkedHashMap<>();
    Map<String, float[]> restFeatures = new LinkedHashMap<>(); // examples left over, back to back
    Map<String, int[]> restLabels = new LinkedHashMap<>();
    Map<String, Long> bad = new LinkedHashMap<>(); // reason id -> records skipped

    /** A bad record: counted when {@code skipBadRecords}, else the job fails naming it at {@code where}. */
    void skipOrFail(BadRecord record, boolean skipBadRecords, Supplier<String> where) {
        if (!skipBadRecords) {
            throw record.named(where.get());
        }
        bad.merge(record.reason.id, 1L, Long::sum);
    }
}
