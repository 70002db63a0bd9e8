package dev.kindling.spark.allreduce;

import dev.kindling.core.data.ShardCache;
import java.util.function.Function;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The decoded training shards an executor JVM keeps for one run ({@link ShardCache}, up to {@code --data-cache-mb}):
 * shared by the replicas the executor hosts (its task slots) and kept from one epoch's barrier stage to the next,
 * so a dataset that fits is read from storage and decoded once per executor, as the local trainer does once per
 * JVM. Shards are reshuffled among ranks every epoch, so an executor ends up keeping the whole training split (up
 * to the budget), not just one rank's share; {@link dev.kindling.spark.runtime.Preflight}'s memory check counts it.
 *
 * <p>One run at a time: a task of another run (a new run key) drops what the previous one kept. What a finished
 * run kept stays until then or until the executor exits (Spark gives each application its own executors).
 */
final class ExecutorShards {
    private static String run;
    private static ShardCache kept;

    /**
     * The shards of {@code runKey} as this JVM keeps them.
     *
     * @param loader how a shard is read and decoded when it is not kept
     * @param budgetBytes the most array bytes kept (0: nothing, every use loads)
     */
    static synchronized Function<String, DataSet> of(String runKey, Function<String, DataSet> loader, long budgetBytes) {
        if (!runKey.equals(run)) {
            run = runKey;
            kept = new ShardCache(loader, budgetBytes);
        }
        return kept;
    }

    /** Array bytes kept for the current run (0 before any). */
    static synchronized long keptBytes() {
        return kept == null ? 0 : kept.keptBytes();
    }

    private ExecutorShards() {}
}
