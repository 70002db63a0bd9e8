package dev.kindling.spark.allreduce;

import dev.kindling.spark.config.Wire;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A synchronous all-reduce of one fp32 vector among the workers of one epoch, however the bytes move
 * ({@link AeronAllReduce} and {@link HalvingAllReduce} between JVMs, {@link InMemoryAllReduce} between threads
 * of one JVM, {@link HierarchicalAllReduce} both). Every implementation gives every worker bit-identical
 * results: each element is a sum in a fixed order, each value (and each sum) rounded to the wire's precision
 * first. Aeron all-to-all and memory add in rank order (the same bits); halving and hierarchical add in a tree
 * of their own (each says which).
 */
public interface AllReduce extends AutoCloseable {
    /** What every worker contributed to the last call: examples and the loss summed over them. */
    record Totals(double samples, double lossSum) {}

    /** Where worker {@code worker}'s chunk of a vector of {@code length} floats starts: it owns the sum of that chunk. */
    static long chunkStart(int worker, long length, int size) {
        return worker * length / size;
    }

    /**
     * Replaces {@code vector} on every worker by the sum of every worker's {@code vector} and returns
     * every worker's {@code samples} and {@code lossSum} added up. Every worker must call it the same number of times with vectors of the same length.
     */
    default Totals reduce(INDArray vector, double samples, double lossSum) {
        return reduce(vector, samples, lossSum, Wire.FP32);
    }

    /**
     * The same with the values sent in {@code wire}'s precision, summed in fp32. Every contribution,
     * this worker's own included, is rounded to the wire's precision before it is summed, and every
     * chunk's sum before it is gathered, so every worker still ends with the same bits.
     */
    Totals reduce(INDArray vector, double samples, double lossSum, Wire wire);

    /**
     * Sums elements {@code [from, to)} of {@code vector} over every worker, in place, as {@link #reduce}
     * sums the whole (the same bits: each element's arithmetic does not depend on how the vector is cut),
     * without totals: a step that reduces its gradient in parts, as backprop finishes them, ends with one
     * {@link #totals} call. Every worker must make the same calls in the same order; elements outside the
     * range are neither read nor written, so backprop may go on writing them meanwhile.
     */
    void reduceRange(INDArray vector, long from, long to, Wire wire);

    /**
     * Every worker's {@code samples} and {@code lossSum} added up in rank order; {@code busySeconds} is this
     * worker's own work since its previous step, for {@link #busySeconds}.
     */
    Totals totals(double samples, double lossSum, double busySeconds);

    /** Elements {@code [from, to)} of the flat {@code vector}: itself when that is all of it (no view to make). */
    static INDArray part(INDArray vector, long from, long to) {
        return from == 0 && to == vector.length() ? vector : vector.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to));
    }

    /** Rejects a part {@code [from, to)} that is empty or not inside a vector of {@code length} floats. */
    static void checkRange(INDArray vector, long from, long to, long length) {
        if (vector.length() != length || from < 0 || to <= from || to > length) {
            throw new IllegalArgumentException("all-reduce of floats [" + from + ", " + to + ") of a vector of " + vector.length()
                    + "; opened for " + length);
        }
    }

    /**
     * Replaces {@code vector} on every worker by the sum of every worker's sparse vector: this worker's
     * is {@code count} (index, value) pairs, the indices distinct; the pairs are added in rank order
     * into zeros. Calls must alternate with {@link #reduce} in the same order on every worker.
     */
    Totals reduceSparse(INDArray vector, int[] index, float[] value, int count, double samples, double lossSum);

    /**
     * Seconds each worker (by rank) spent in its own work between its calls, summed over every call so
     * far: what its step costs, without the wait for others. Every worker sees every worker's.
     */
    double[] busySeconds();

    /** Bytes this worker offered to its peers over the network (headers included); 0 in memory. */
    long bytesSent();

    /** Seconds spent in the calls, waiting for the slowest peer included. */
    double reduceSeconds();

    /** Messages dropped as foreign: they did not carry this all-reduce's {@link RunToken}. */
    long foreignFrames();

    /** "aeron" or "memory": how this all-reduce moves its bytes, for the run's metrics. */
    String transport();

    @Override
    void close();
}
