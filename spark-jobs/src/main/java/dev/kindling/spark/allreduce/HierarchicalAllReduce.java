package dev.kindling.spark.allreduce;

import dev.kindling.spark.config.Wire;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The dense all-reduce for workers spread over several JVMs, several of them in one JVM (executors with
 * several task slots): the workers of each JVM sum in memory ({@link InMemoryAllReduce}); each JVM's leader
 * (its smallest rank) all-reduces that sum with the other JVMs' leaders over Aeron ({@link AeronAllReduce}, or
 * {@link HalvingAllReduce}); each leader's result is copied to the workers of its JVM. Only leaders use the network: with G JVMs each
 * leader has G - 1 peers and sends 2 (G - 1) / G of the vector, where over Aeron alone each of the N workers
 * had N - 1 peers and sent 2 (N - 1) / N, every JVM's slots sharing its link.
 *
 * <p>Every worker ends with the same bits, but not with flat Aeron's: each element is a tree sum, the values
 * of one JVM's workers in rank order (each rounded to the wire's precision, and their sum), then the JVMs'
 * sums in the order of their leaders' ranks. For one JVM, or one worker per JVM, that is the flat order.
 * Dense only: topk's sparse pairs stay on Aeron among all workers.
 */
public final class HierarchicalAllReduce implements AllReduce {
    private final int rank;
    private final long length;
    private final Placement placement;
    private final InMemoryAllReduce local;
    /** The leaders' all-reduce: null unless this worker leads its JVM and there are other JVMs. */
    private final AllReduce leaders;
    /** Whether the leaders halve and double ({@link HalvingAllReduce}) rather than exchange all-to-all. */
    private final boolean halving;
    /** This JVM's workers' busy seconds (by place in the JVM) as of the previous step. */
    private double[] localBusyBefore;
    /** Each JVM's slowest worker's busy seconds, summed over steps, as the leaders exchanged them. */
    private double[] jvmBusy;
    private long lastReturn = System.nanoTime();
    private long reduceNanos;

    private HierarchicalAllReduce(int rank, long length, Placement placement, InMemoryAllReduce local, AllReduce leaders, boolean halving) {
        this.halving = halving;
        this.rank = rank;
        this.length = length;
        this.placement = placement;
        this.local = local;
        this.leaders = leaders;
        this.localBusyBefore = new double[placement.groupSize(placement.groupOf(rank))];
        this.jvmBusy = new double[placement.groupCount()];
    }

    /**
     * Joins this JVM's group in memory (named {@code key} and the group), then, if this worker leads it, the
     * leaders' all-reduce on {@code host} through {@code rendezvous}. Every worker takes part in the one
     * all-gather, as a barrier stage requires; the others contribute nothing to it. {@code halving}: the leaders
     * halve and double ({@link HalvingAllReduce}) instead of exchanging all-to-all.
     */
    public static HierarchicalAllReduce open(int rank, Placement placement, long length, AeronHost host, Rendezvous rendezvous, String key,
                                             RunToken token, Duration stall, BooleanSupplier cancelled, boolean halving) {
        int group = placement.groupOf(rank);
        InMemoryAllReduce local = InMemoryAllReduce.open(key + ":jvm" + group, placement.localRank(rank), placement.groupSize(group), length,
                stall, cancelled);
        try {
            AllReduce leaders = null;
            if (placement.groupCount() > 1) {
                if (placement.leads(rank)) {
                    Rendezvous ofLeaders = mine -> leadersOf(rendezvous.allGather(mine), placement);
                    leaders = halving
                            ? HalvingAllReduce.open(group, placement.groupCount(), length, host, ofLeaders, token, stall, cancelled)
                            : AeronAllReduce.open(group, placement.groupCount(), length, host, ofLeaders, token, stall, cancelled);
                } else {
                    rendezvous.allGather("");
                }
            }
            return new HierarchicalAllReduce(rank, length, placement, local, leaders, halving);
        } catch (RuntimeException e) {
            local.close(); // a leader that fails here leaves its group: its workers stop waiting at once
            throw e;
        }
    }

    /** The leaders' entries of an all-gather of every worker, in the order of their groups. */
    private static String[] leadersOf(String[] everyone, Placement placement) {
        String[] out = new String[placement.groupCount()];
        for (int g = 0; g < out.length; g++) {
            out[g] = everyone[placement.members(g)[0]];
        }
        return out;
    }

    @Override
    public Totals reduce(INDArray vector, double samples, double lossSum, Wire wire) {
        double busy = (System.nanoTime() - lastReturn) / 1e9;
        reduceRange(vector, 0, length, wire);
        return totals(samples, lossSum, busy);
    }

    @Override
    public void reduceRange(INDArray vector, long from, long to, Wire wire) {
        AllReduce.checkRange(vector, from, to, length);
        long t0 = System.nanoTime();
        local.reduceRange(vector, from, to, wire);
        if (placement.groupCount() > 1) {
            if (leaders != null) {
                leaders.reduceRange(vector, from, to, wire);
            }
            local.broadcast(vector, from, to);
        }
        reduceNanos += System.nanoTime() - t0;
    }

    @Override
    public Totals totals(double samples, double lossSum, double busySeconds) {
        long t0 = System.nanoTime();
        Totals jvm = local.totals(samples, lossSum, busySeconds);
        Totals all = jvm;
        if (placement.groupCount() > 1) {
            double[] shared = null;
            if (leaders != null) {
                double[] busyNow = local.busySeconds();
                double slowest = 0;
                for (int i = 0; i < busyNow.length; i++) {
                    slowest = Math.max(slowest, busyNow[i] - localBusyBefore[i]);
                }
                localBusyBefore = busyNow;
                Totals t = leaders.totals(jvm.samples(), jvm.lossSum(), slowest);
                double[] perJvm = leaders.busySeconds();
                shared = new double[2 + perJvm.length];
                shared[0] = t.samples();
                shared[1] = t.lossSum();
                System.arraycopy(perJvm, 0, shared, 2, perJvm.length);
            }
            shared = local.broadcast(shared);
            all = new Totals(shared[0], shared[1]);
            jvmBusy = java.util.Arrays.copyOfRange(shared, 2, shared.length);
        }
        lastReturn = System.nanoTime();
        reduceNanos += lastReturn - t0;
        return all;
    }

    @Override
    public Totals reduceSparse(INDArray vector, int[] index, float[] value, int count, double samples, double lossSum) {
        throw new UnsupportedOperationException("the hierarchical all-reduce is dense only; topk's pairs go over Aeron among all workers");
    }

    /**
     * By rank: this JVM's workers' own busy seconds; a worker in another JVM gets its JVM's slowest worker's (the
     * leaders exchange one number per JVM), so a straggler is named by the JVM (executor) it runs in.
     */
    @Override
    public double[] busySeconds() {
        double[] mine = local.busySeconds();
        int own = placement.groupOf(rank);
        double[] out = new double[placement.workers()];
        for (int r = 0; r < out.length; r++) {
            int g = placement.groupOf(r);
            out[r] = g == own ? mine[placement.localRank(r)] : jvmBusy[g];
        }
        return out;
    }

    @Override
    public long bytesSent() {
        return leaders == null ? 0 : leaders.bytesSent();
    }

    @Override
    public double reduceSeconds() {
        return reduceNanos / 1e9;
    }

    @Override
    public long foreignFrames() {
        return leaders == null ? 0 : leaders.foreignFrames();
    }

    /** With {@link AeronPeers#IPC_SUFFIX} when this worker leads its JVM and reaches other leaders on its host over IPC. */
    @Override
    public String transport() {
        boolean ipc = leaders != null && leaders.transport().endsWith(AeronPeers.IPC_SUFFIX);
        return (halving ? "hierarchical-halving" : "hierarchical") + (ipc ? AeronPeers.IPC_SUFFIX : "");
    }

    @Override
    public void close() {
        try {
            if (leaders != null) {
                leaders.close();
            }
        } finally {
            local.close();
        }
    }
}
