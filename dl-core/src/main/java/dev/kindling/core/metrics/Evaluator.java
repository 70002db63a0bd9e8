package dev.kindling.core.metrics;

import dev.kindling.core.data.Manifest;
import java.util.Iterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;

/** Evaluates a model over minibatches in one JVM; executors run the same code on their shards. */
public final class Evaluator {

    /** The dataset's task metrics over {@code batches}. */
    public static TaskMetrics evaluate(ComputationGraph net, Manifest m, Iterator<DataSet> batches) {
        TaskMetrics metrics = TaskMetrics.of(m);
        while (batches.hasNext()) {
            metrics.add(net, batches.next());
        }
        return metrics;
    }

    private Evaluator() {}
}
