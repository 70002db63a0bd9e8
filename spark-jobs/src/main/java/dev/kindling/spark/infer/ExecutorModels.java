package dev.kindling.spark.infer;

import dev.kindling.core.model.ModelStore;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * The models an executor JVM has loaded, kept across tasks: a model is restored once per task
 * thread of the executor (DL4J networks are not safe to share between threads) and never per record
 * or batch. Keyed by the model's URI and the broadcast id, so a new job's model is loaded afresh.
 */
public final class ExecutorModels {
    private static final Map<String, ComputationGraph> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    public static ComputationGraph get(String modelUri, Broadcast<byte[]> bytes) {
        String key = modelUri + "#" + bytes.id() + "@" + Thread.currentThread().getId();
        return MODELS.computeIfAbsent(key, k -> {
            LOADS.incrementAndGet();
            return ModelStore.fromBytes(bytes.value(), modelUri).graph();
        });
    }

    /** How many times this JVM has restored a model: a test checks it stays at the thread count. */
    public static int loads() {
        return LOADS.get();
    }

    /** Drops the models of a finished job (the driver calls it for local mode, where executors are this JVM). */
    public static void clear() {
        MODELS.clear();
    }

    private ExecutorModels() {}
}
