package dev.kindling.spark.allreduce;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Phaser;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import org.agrona.concurrent.UnsafeBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The workers of one all-reduce that are threads of this JVM, and what they share: each member's
 * contribution, the summed vector, the totals, and a {@link Phaser} they meet at. One group per epoch
 * attempt (its key is the epoch's token and the stage attempt, so a retried epoch never meets a stale
 * group), removed when its last member closes.
 */
final class LocalGroup {
    /**
     * This JVM's identity, as this class's loader sees it: workers that report the same one share this
     * class's static registry, so they can meet here. Two loaders of Kindling in one JVM get two
     * identities and fall back to the network, which is safe.
     */
    static final String JVM = UUID.randomUUID().toString();
    private static final ConcurrentHashMap<String, LocalGroup> GROUPS = new ConcurrentHashMap<>();

    final int size;
    final long length;
    final Phaser phaser;
    /** Member r's contribution to the current dense call: its vector (fp32 wire) or a rounded copy. */
    final INDArray[] contributions;
    /** Rounded copies, one per member, for half-precision wires (made on the first such call). */
    final INDArray[] rounded;
    /** Their bytes, which {@link Rounding} rounds in place. */
    final UnsafeBuffer[] roundedBytes;
    /** The current dense call's sums: chunk r written by member r. */
    final INDArray sums;
    final UnsafeBuffer sumBytes;
    final double[] samples;
    final double[] loss;
    final double[] busy;
    final int[][] sparseIndex;
    final float[][] sparseValue;
    final int[] sparseCount;
    /** What worker 0 last broadcast besides its vector ({@link InMemoryAllReduce#broadcast}). */
    double[] broadcastValues;
    /** Barriers each member has arrived at: the members behind the others are the ones a stall names. */
    final AtomicLongArray arrivals;
    /** Per member, 1 once joined / once closed: atomic, since waiting members read them while others change them. */
    final AtomicIntegerArray joined;
    final AtomicIntegerArray closed;
    private volatile RuntimeException failure;
    private int members;

    private LocalGroup(int size, long length) {
        this.size = size;
        this.length = length;
        this.phaser = new Phaser(size);
        this.contributions = new INDArray[size];
        this.rounded = new INDArray[size];
        this.roundedBytes = new UnsafeBuffer[size];
        this.sums = Nd4j.create(DataType.FLOAT, length);
        this.sumBytes = FloatBytes.wrap(sums);
        this.samples = new double[size];
        this.loss = new double[size];
        this.busy = new double[size];
        this.sparseIndex = new int[size][];
        this.sparseValue = new float[size][];
        this.sparseCount = new int[size];
        this.arrivals = new AtomicLongArray(size);
        this.joined = new AtomicIntegerArray(size);
        this.closed = new AtomicIntegerArray(size);
    }

    /** Member {@code rank} joins the group {@code key} (made by the first to come). */
    static LocalGroup join(String key, int rank, int size, long length) {
        LocalGroup g = GROUPS.compute(key, (k, existing) -> {
            LocalGroup group = existing != null ? existing : new LocalGroup(size, length);
            if (group.size != size || group.length != length) {
                throw new IllegalStateException("all-reduce in memory: worker " + rank + " joins with " + size + " workers of " + length
                        + " floats; the group has " + group.size + " of " + group.length);
            }
            if (group.joined.getAndSet(rank, 1) == 1) {
                throw new IllegalStateException("all-reduce in memory: worker " + rank + " joined twice");
            }
            group.members++;
            return group;
        });
        return g;
    }

    /** Member {@code rank} leaves; the last to leave removes the group. */
    void leave(String key, int rank) {
        GROUPS.computeIfPresent(key, (k, group) -> {
            group.closed.set(rank, 1);
            return --group.members == 0 ? null : group;
        });
    }

    /** Fails the group: every member waiting, or coming, throws {@code cause}. The first cause wins. */
    void fail(RuntimeException cause) {
        synchronized (this) {
            if (failure == null) {
                failure = cause;
            }
        }
        phaser.forceTermination();
    }

    RuntimeException failure() {
        return failure;
    }

    /** The members that have not reached barrier {@code arrival} (they have arrived fewer times). */
    List<Integer> behind(long arrival) {
        List<Integer> late = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            if (arrivals.get(r) < arrival) {
                late.add(r);
            }
        }
        return late;
    }

    /** Groups alive in this JVM (tests check that none is left behind). */
    static int alive() {
        return GROUPS.size();
    }
}
