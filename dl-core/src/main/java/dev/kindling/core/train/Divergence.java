package dev.kindling.core.train;

import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A NaN or Inf training loss stops the run at the step it appears, naming the step, the shard and
 * the first layer (in the graph's order) whose parameters or activations are no longer finite.
 */
public final class Divergence extends RuntimeException {
    private final int epoch;
    private final int step;

    Divergence(String message, int epoch, int step) {
        super(message);
        this.epoch = epoch;
        this.step = step;
    }

    public int epoch() {
        return epoch;
    }

    public int step() {
        return step;
    }

    /** Throws when the last step's loss is not finite; a no-op otherwise. */
    public static void check(ComputationGraph net, double loss, DataSet batch, int epoch, int step, String shard) {
        if (Double.isFinite(loss)) {
            return;
        }
        throw new Divergence("training loss is " + loss + " at epoch " + (epoch + 1) + ", step " + (step + 1) + " (shard " + shard
                + "); " + locate(net, batch) + "; lower --lr or keep --clip-norm on, then resume from the last checkpoint", epoch, step);
    }

    /** The first layer with non-finite parameters, else the first with non-finite activations on the batch. */
    public static String locate(ComputationGraph net, DataSet batch) {
        for (Layer layer : net.getLayers()) {
            INDArray p = layer.params();
            if (p != null && p.length() > 0 && !finite(p)) {
                return "first non-finite parameters in layer '" + layer.conf().getLayer().getLayerName() + "'";
            }
        }
        Map<String, INDArray> acts = net.feedForward(batch.getFeatures().castTo(net.params().dataType()), false);
        for (int index : net.topologicalSortOrder()) {
            String name = net.getVertices()[index].getVertexName();
            INDArray a = acts.get(name);
            if (a != null && !finite(a)) {
                return "first non-finite activations at '" + name + "'";
            }
        }
        return "parameters and activations are finite: the loss itself overflowed";
    }

    static boolean finite(INDArray a) {
        return !a.isNaN().any() && !a.isInfinite().any();
    }
}
