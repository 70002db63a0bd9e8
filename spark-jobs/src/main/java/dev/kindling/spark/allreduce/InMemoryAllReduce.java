package dev.kindling.spark.allreduce;

import dev.kindling.spark.config.Wire;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.agrona.concurrent.UnsafeBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The all-reduce among workers that are threads of one JVM (Spark {@code local[N]}, or several task
 * slots of one executor), through memory: no bytes copied to a network buffer, no media driver. A dense
 * call is two barriers: every worker posts its vector (rounded to the wire's precision in a copy) and
 * its totals; each sums its own chunk of everyone's contributions in rank order into the shared sums,
 * rounded to the wire; after the second barrier each copies the sums back. The arithmetic is
 * {@link AeronAllReduce}'s, element for element, so both give the same bits. Waits check every 50 ms
 * for a cancelled task, a peer that failed or left, and the stall.
 */
public final class InMemoryAllReduce implements AllReduce {
    private static final long TICK_MS = 50;

    private final String key;
    private final int rank;
    private final int size;
    private final long length;
    private final LocalGroup group;
    private final Duration stall;
    private final BooleanSupplier cancelled;
    private final double[] busyTotal;
    private long calls;
    private long arrivals;
    private boolean inCall;
    private long lastReturn = System.nanoTime();
    private long reduceNanos;
    private INDArray sparseSum;
    private UnsafeBuffer sparseSumBytes;

    private InMemoryAllReduce(String key, int rank, int size, long length, LocalGroup group, Duration stall, BooleanSupplier cancelled) {
        this.key = key;
        this.rank = rank;
        this.size = size;
        this.length = length;
        this.group = group;
        this.stall = stall;
        this.cancelled = cancelled;
        this.busyTotal = new double[size];
    }

    /**
     * Joins the group {@code key} (the epoch's token and attempt) and waits, up to {@code stall}, for all
     * {@code size} workers to join.
     */
    public static InMemoryAllReduce open(String key, int rank, int size, long length, Duration stall, BooleanSupplier cancelled) {
        if (size < 1 || rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank " + rank + " of " + size + " workers");
        }
        if (length < size) {
            throw new IllegalArgumentException("all-reduce of " + length + " floats among " + size + " workers");
        }
        InMemoryAllReduce ar = new InMemoryAllReduce(key, rank, size, length, LocalGroup.join(key, rank, size, length), stall, cancelled);
        try {
            ar.inCall = true;
            ar.barrier("joining");
            ar.inCall = false;
            ar.lastReturn = System.nanoTime();
            return ar;
        } catch (RuntimeException e) {
            ar.close();
            throw e;
        }
    }

    @Override
    public Totals reduce(INDArray vector, double samples, double lossSum, Wire wire) {
        if (vector.length() != length) {
            throw new IllegalArgumentException("all-reduce of " + vector.length() + " floats; opened for " + length);
        }
        long t0 = begin(samples, lossSum, (System.nanoTime() - lastReturn) / 1e9);
        return end(t0, dense(vector.reshape(length), 0, length, wire, true));
    }

    @Override
    public void reduceRange(INDArray vector, long from, long to, Wire wire) {
        AllReduce.checkRange(vector, from, to, length);
        long t0 = System.nanoTime();
        inCall = true;
        dense(vector.reshape(length), from, to, wire, false);
        calls++;
        inCall = false;
        reduceNanos += System.nanoTime() - t0;
    }

    @Override
    public Totals totals(double samples, double lossSum, double busySeconds) {
        long t0 = begin(samples, lossSum, busySeconds);
        barrier("posting its totals");
        Totals totals = totals();
        barrier("reading the totals"); // nobody posts the next call's totals before every worker has read these
        return end(t0, totals);
    }

    /**
     * Sums {@code [from, to)} of every worker's {@code flat} into it; with {@code totals} also the totals every
     * worker posted before the call (else null: a part of a step carries none).
     */
    private Totals dense(INDArray flat, long from, long to, Wire wire, boolean withTotals) {
        if (wire == Wire.FP32) {
            group.contributions[rank] = flat; // read by the chunks' owners before the second barrier, written only after it
        } else {
            if (group.rounded[rank] == null) {
                group.rounded[rank] = Nd4j.create(DataType.FLOAT, length);
                group.roundedBytes[rank] = FloatBytes.wrap(group.rounded[rank]);
            }
            AllReduce.part(group.rounded[rank], from, to).assign(AllReduce.part(flat, from, to));
            group.contributions[rank] = group.rounded[rank];
            Rounding.toWire(wire, group.rounded[rank], group.roundedBytes[rank], from, to);
        }
        barrier("posting its vector");
        long own = from + AllReduce.chunkStart(rank, to - from, size);
        long ownEnd = from + AllReduce.chunkStart(rank + 1, to - from, size);
        if (ownEnd > own) {
            INDArray sum = group.sums.get(NDArrayIndex.interval(own, ownEnd));
            for (int r = 0; r < size; r++) { // rank order, as AeronAllReduce's chunk owner sums
                INDArray part = group.contributions[r].get(NDArrayIndex.interval(own, ownEnd));
                if (r == 0) {
                    sum.assign(part);
                } else {
                    sum.addi(part);
                }
            }
            Rounding.toWire(wire, group.sums, group.sumBytes, own, ownEnd);
        }
        Totals totals = withTotals ? totals() : null;
        barrier("summing its chunk");
        AllReduce.part(flat, from, to).assign(AllReduce.part(group.sums, from, to));
        return totals;
    }

    @Override
    public Totals reduceSparse(INDArray vector, int[] index, float[] value, int count, double samples, double lossSum) {
        if (vector.length() != length) {
            throw new IllegalArgumentException("sparse all-reduce into " + vector.length() + " floats; opened for " + length);
        }
        long t0 = begin(samples, lossSum, (System.nanoTime() - lastReturn) / 1e9);
        group.sparseIndex[rank] = index;
        group.sparseValue[rank] = value;
        group.sparseCount[rank] = count;
        barrier("posting its pairs");
        if (sparseSum == null) { // made on the first sparse call, then reused: a topk run makes one every step
            sparseSum = Nd4j.create(DataType.FLOAT, length);
            sparseSumBytes = FloatBytes.wrap(sparseSum);
        }
        sparseSum.assign(0);
        for (int r = 0; r < size; r++) { // every worker adds every worker's pairs in rank order into zeros, as over Aeron
            FloatBytes.addPairs(sparseSumBytes, group.sparseIndex[r], group.sparseValue[r], group.sparseCount[r]);
        }
        Totals totals = totals();
        barrier("reading the pairs"); // the callers' arrays stay untouched until every worker has read them
        vector.reshape(length).assign(sparseSum);
        return end(t0, totals);
    }

    /** Worker 0's elements {@code [from, to)} of {@code vector} copied into every other worker's (the rest of theirs untouched). */
    void broadcast(INDArray vector, long from, long to) {
        AllReduce.checkRange(vector, from, to, length);
        broadcast(vector.reshape(length), from, to, null);
    }

    /** Worker 0's {@code values}, returned to every worker (the others' argument is ignored). */
    double[] broadcast(double[] values) {
        return broadcast(null, 0, 0, values);
    }

    /**
     * Two barriers: worker 0 posts, the others copy, and worker 0 may change what it posted only once every
     * worker has copied it.
     */
    private double[] broadcast(INDArray flat, long from, long to, double[] values) {
        long t0 = System.nanoTime();
        inCall = true;
        if (rank == 0) {
            group.contributions[0] = flat;
            group.broadcastValues = values == null ? null : values.clone();
        }
        barrier("posting what it broadcasts");
        double[] got = group.broadcastValues == null ? null : group.broadcastValues.clone();
        if (rank != 0 && flat != null) {
            AllReduce.part(flat, from, to).assign(AllReduce.part(group.contributions[0], from, to));
        }
        barrier("copying the broadcast");
        inCall = false;
        reduceNanos += System.nanoTime() - t0;
        return got;
    }

    /** Posts this worker's totals and its busy time since its last step; the time the call starts. */
    private long begin(double samples, double lossSum, double busySeconds) {
        long t0 = System.nanoTime();
        inCall = true;
        group.samples[rank] = samples;
        group.loss[rank] = lossSum;
        group.busy[rank] = busySeconds;
        return t0;
    }

    /** Everyone's totals summed in rank order (read after the first barrier); everyone's busy time added up. */
    private Totals totals() {
        double samples = 0;
        double loss = 0;
        for (int r = 0; r < size; r++) {
            samples += group.samples[r];
            loss += group.loss[r];
            busyTotal[r] += group.busy[r];
        }
        return new Totals(samples, loss);
    }

    private Totals end(long t0, Totals totals) {
        calls++;
        inCall = false;
        lastReturn = System.nanoTime();
        reduceNanos += lastReturn - t0;
        return totals;
    }

    /** Arrives at the group's next barrier and waits for every worker to arrive. */
    private void barrier(String doing) {
        RuntimeException failed = group.failure();
        if (failed != null) {
            throw failed;
        }
        arrivals++;
        group.arrivals.incrementAndGet(rank);
        int phase = group.phaser.arrive();
        long stalledSince = System.nanoTime();
        while (true) {
            try {
                if (group.phaser.awaitAdvanceInterruptibly(phase, TICK_MS, TimeUnit.MILLISECONDS) < 0) {
                    throw failure("the group stopped");
                }
                return;
            } catch (TimeoutException e) {
                List<Integer> late = group.behind(arrivals);
                List<Integer> left = late.stream().filter(r -> group.closed.get(r) == 1).toList();
                if (!left.isEmpty()) {
                    throw fail("worker(s) " + left + " left the all-reduce at step " + (calls + 1) + " (their tasks ended); see their logs");
                }
                if (cancelled.getAsBoolean()) {
                    throw fail("worker " + rank + " cancelled at step " + (calls + 1));
                }
                if (System.nanoTime() - stalledSince > stall.toNanos()) {
                    throw fail("worker " + rank + ", step " + (calls + 1) + ": nothing for " + stall.toSeconds() + " s " + doing
                            + " from worker(s) " + late + " of this JVM; a peer died or is stuck (see its task's log)");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw fail("worker " + rank + " interrupted at step " + (calls + 1));
            }
        }
    }

    /** Fails the whole group with {@code what} and returns the error for this worker to throw. */
    private RuntimeException fail(String what) {
        group.fail(new IllegalStateException("all-reduce (in memory): " + what));
        return group.failure();
    }

    private RuntimeException failure(String fallback) {
        RuntimeException f = group.failure();
        return f != null ? f : new IllegalStateException("all-reduce (in memory): " + fallback);
    }

    @Override
    public double[] busySeconds() {
        return busyTotal.clone();
    }

    @Override
    public long bytesSent() {
        return 0;
    }

    @Override
    public double reduceSeconds() {
        return reduceNanos / 1e9;
    }

    @Override
    public long foreignFrames() {
        return 0;
    }

    @Override
    public String transport() {
        return "memory";
    }

    /** Leaves the group; leaving in the middle of a call fails it, so the peers stop waiting at once. */
    @Override
    public void close() {
        if (inCall) {
            group.fail(new IllegalStateException("all-reduce (in memory): worker " + rank + " left in the middle of step " + (calls + 1)));
        }
        group.leave(key, rank);
    }
}
