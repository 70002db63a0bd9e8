package dev.kindling.spark.runtime;

import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Shards;
import dev.kindling.core.metrics.Evaluator;
import dev.kindling.core.metrics.TaskMetrics;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

/**
 * Evaluates a classifier over shard paths on the executors: the model is broadcast once, restored
 * once per partition, and each partition's {@link TaskMetrics} are merged on the driver.
 * The per-shard computation is {@link Evaluator}'s, the same as in one JVM.
 */
public final class DistributedEvaluation {

    public static TaskMetrics evaluate(JavaSparkContext sc, ComputationGraph net, List<String> shards, Manifest manifest)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, bytes, false);
        Broadcast<byte[]> model = sc.broadcast(bytes.toByteArray());
        HadoopStorage storage = new HadoopStorage();
        try {
            int slices = Math.max(1, Math.min(shards.size(), sc.defaultParallelism()));
            return sc.parallelize(shards, slices).mapPartitions(paths -> {
                ComputationGraph local = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(model.value()), false);
                TaskMetrics m = Evaluator.evaluate(local, manifest,
                        new MappedIterator<>(paths, p -> Shards.load(storage, p)));
                return List.of(m).iterator();
            }).reduce(TaskMetrics::merge);
        } finally {
            model.destroy();
        }
    }

    /** A lazy map over an iterator, so a partition's shards are read one at a time. */
    record MappedIterator<A, B>(java.util.Iterator<A> in, java.util.function.Function<A, B> f) implements java.util.Iterator<B> {
        @Override
        public boolean hasNext() {
            return in.hasNext();
        }

        @Override
        public B next() {
            return f.apply(in.next());
        }
    }

    private DistributedEvaluation() {}
}
