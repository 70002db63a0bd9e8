package dev.kindling.spark.allreduce;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How a graph's flattened gradient is cut into buckets that backprop finishes one after another, as
 * PyTorch DDP's gradient buckets: DL4J lays the gradient out by the vertices' topological order
 * ({@code [offset(p), offset(p + 1))} for the vertex at position p) and backprop walks that order
 * backwards, each vertex writing its own part during its own backward and never later. So once the
 * vertex at position p has run its backward, everything from {@code offset(p)} to the end is final: a
 * bucket can be reduced while backprop goes on with the vertices before it.
 *
 * <p>Buckets run from the end of the gradient to its start (launch order), each closed at a vertex
 * boundary once it holds at least {@code bucketFloats}; a vertex larger than a bucket is one bucket.
 * Every worker builds the same plan from the same graph, so all launch the same parts in the same order.
 *
 * @param start  first float of each bucket, in launch order (descending)
 * @param end    one past the last float of each bucket
 * @param offset where the vertex at each topological position starts in the gradient
 */
record BucketPlan(long[] start, long[] end, long[] offset) {

    /**
     * The plan for {@code net}, or null when the gradient is not laid out as this class assumes (a vertex's
     * gradient view is not where the topological order puts it): then the step reduces after backprop.
     */
    static BucketPlan of(ComputationGraph net, long bucketFloats) {
        if (bucketFloats < 1) {
            throw new IllegalArgumentException("buckets of " + bucketFloats + " floats");
        }
        if (net.getGradientsViewArray() == null) {
            net.initGradientsView(); // as the first fit would: the views the layers write into
        }
        INDArray gradient = net.getGradientsViewArray();
        int[] topo = net.topologicalSortOrder();
        GraphVertex[] vertices = net.getVertices();
        long[] offset = new long[topo.length + 1];
        for (int p = 0; p < topo.length; p++) {
            GraphVertex v = vertices[topo[p]];
            long n = v.numParams();
            offset[p + 1] = offset[p] + n;
            if (n > 0 && (v.getGradientsViewArray() == null || offsetIn(v.getGradientsViewArray(), gradient) != offset[p])) {
                return null;
            }
        }
        if (offset[topo.length] != net.numParams()) {
            return null;
        }
        List<long[]> buckets = new ArrayList<>();
        long bucketEnd = offset[topo.length];
        for (int p = topo.length - 1; p >= 0; p--) {
            if (bucketEnd - offset[p] >= bucketFloats || (p == 0 && bucketEnd > 0)) {
                buckets.add(new long[] {offset[p], bucketEnd});
                bucketEnd = offset[p];
            }
        }
        return new BucketPlan(buckets.stream().mapToLong(b -> b[0]).toArray(), buckets.stream().mapToLong(b -> b[1]).toArray(), offset);
    }

    /** Where {@code view} starts inside {@code whole}, in elements: both must share one buffer. */
    static long offsetIn(INDArray view, INDArray whole) {
        return (view.data().addressPointer().address() - whole.data().addressPointer().address()) / whole.dataType().width();
    }

    /** The buckets' floats in launch order, for the log: "[34186, 201472]". */
    String describe() {
        long[] sizes = new long[start.length];
        for (int b = 0; b < sizes.length; b++) {
            sizes[b] = end[b] - start[b];
        }
        return java.util.Arrays.toString(sizes);
    }

    int buckets() {
        return start.length;
    }

    /** The bucket {@code [start, end)} that holds float {@code at}. */
    int bucketOf(long at) {
        for (int b = 0; b < start.length; b++) {
            if (at >= start[b] && at < end[b]) {
                return b;
            }
        }
        throw new IllegalArgumentException("float " + at + " is in none of the plan's " + start.length + " buckets");
    }
}
