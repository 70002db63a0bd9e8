package dev.kindling.core.train;

import java.util.Iterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/** Evaluates a classifier over minibatches in one JVM; executors run the same code on their shards. */
public final class Evaluator {

    public static ClassificationMetrics evaluate(ComputationGraph net, int classes, Iterator<DataSet> batches) {
        ClassificationMetrics metrics = new ClassificationMetrics(classes);
        while (batches.hasNext()) {
            DataSet ds = batches.next();
            INDArray out = net.outputSingle(false, ds.getFeatures().castTo(net.params().dataType()));
            metrics.add(out, ds.getLabels());
        }
        return metrics;
    }

    private Evaluator() {}
}
