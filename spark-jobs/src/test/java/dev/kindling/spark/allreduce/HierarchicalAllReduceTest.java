package dev.kindling.spark.allreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.spark.config.Wire;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Memory within each JVM, Aeron among the JVMs' leaders. Several "JVMs" live in this one: a group's identity is
 * only the string {@link Placement} groups by, and each group meets in memory under its own key.
 */
class HierarchicalAllReduceTest {
    private static final int LENGTH = 30_011; // chunks of unequal length

    @AfterEach
    void noGroupLeftBehind() {
        assertEquals(0, LocalGroup.alive(), "every group is removed when its last worker closes");
    }

    private static float[][] vectors(int workers, long seed) {
        return WorkerVectors.of(workers, LENGTH, seed);
    }

    /** Every rank's vectors after a dense fp32 call, a bf16 call, and the fp32 call again in three parts; with the totals' samples. */
    private static List<List<float[]>> run(String[] jvmOf, float[][] fp32, float[][] bf16, boolean hierarchical) throws Exception {
        return run(jvmOf, fp32, bf16, hierarchical, false);
    }

    /** {@code halving}: the leaders halve and double instead of exchanging all-to-all. */
    private static List<List<float[]>> run(String[] jvmOf, float[][] fp32, float[][] bf16, boolean hierarchical, boolean halving)
            throws Exception {
        int workers = jvmOf.length;
        Placement placement = Placement.of(jvmOf);
        Rendezvous.InProcess exchange = new Rendezvous.InProcess(workers);
        RunToken token = RunToken.random();
        String key = "hier-" + System.nanoTime();
        return EachRank.run(workers, r -> {
            List<float[]> out = new ArrayList<>();
            try (AllReduce ar = hierarchical
                    ? HierarchicalAllReduce.open(r, placement, LENGTH, AeronHost.udp("127.0.0.1"), exchange.as(r), key, token, Duration.ofSeconds(30), () -> false, halving)
                    : AeronAllReduce.open(r, workers, LENGTH, AeronHost.udp("127.0.0.1"), exchange.as(r), token, Duration.ofSeconds(30), () -> false)) {
                var v = Nd4j.createFromArray(fp32[r]);
                assertEquals(workers * (workers + 1) / 2.0, ar.reduce(v, r + 1, 0.5).samples(), 0.0);
                out.add(v.toFloatVector());
                v = Nd4j.createFromArray(bf16[r]);
                AllReduce.Totals t = ar.reduce(v, 1, 0.25 * r, Wire.BF16);
                assertEquals(workers, t.samples(), 0.0);
                assertEquals(0.25 * workers * (workers - 1) / 2, t.lossSum(), 1e-12);
                out.add(v.toFloatVector());
                v = Nd4j.createFromArray(fp32[r]);
                long[] cuts = {LENGTH, 20_000, 5, 0}; // from the end, as backprop finishes them
                for (int p = 0; p + 1 < cuts.length; p++) {
                    ar.reduceRange(v, cuts[p + 1], cuts[p], Wire.FP32);
                }
                assertEquals(workers, ar.totals(1, 0, 0.01 * (r + 1)).samples(), 0.0);
                out.add(v.toFloatVector());
                double[] busy = ar.busySeconds();
                assertEquals(workers, busy.length);
                if (hierarchical) {
                    assertTrue(busy[r] >= 0.01 * (r + 1), "the last step's own busy seconds counted: " + busy[r]);
                    for (int other = 0; other < workers; other++) {
                        if (placement.groupOf(other) != placement.groupOf(r)) { // another JVM: its slowest worker's
                            int leader = placement.members(placement.groupOf(other))[0];
                            assertEquals(busy[leader], busy[other], 0.0, "rank " + other + " reported as its JVM");
                        }
                    }
                }
            }
            return out;
        });
    }

    private static float bf16(float x) {
        return WorkerVectors.bf16(x);
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void everyWorkerEndsWithTheTreeSumOfItsJvmsThenTheJvmsInLeaderOrder() throws Exception {
        String[] jvmOf = {"a", "b", "a", "b", "b"}; // interleaved: group 0 = ranks 0, 2; group 1 = ranks 1, 3, 4
        float[][] fp32 = vectors(jvmOf.length, 5);
        float[][] bf = vectors(jvmOf.length, 6);
        List<List<float[]>> got = run(jvmOf, fp32, bf, true);
        float[] tree = new float[LENGTH];
        float[] treeBf16 = new float[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            float a = fp32[0][i] + fp32[2][i];
            float b = fp32[1][i] + fp32[3][i] + fp32[4][i];
            tree[i] = a + b;
            float ah = bf16(bf16(bf[0][i]) + bf16(bf[2][i]));
            float bh = bf16(bf16(bf[1][i]) + bf16(bf[3][i]) + bf16(bf[4][i]));
            treeBf16[i] = bf16(ah + bh);
        }
        for (int rank = 0; rank < jvmOf.length; rank++) {
            assertArrayEquals(tree, got.get(rank).get(0), "rank " + rank + ", fp32: the tree sum");
            assertArrayEquals(treeBf16, got.get(rank).get(1), "rank " + rank + ", bf16: the tree sum, rounded at each level");
            assertArrayEquals(tree, got.get(rank).get(2), "rank " + rank + ": in parts, the whole call's bits");
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void leadersThatHalveEndWithTheirPairsOfPairsTree() throws Exception {
        String[] jvmOf = {"a", "b", "c", "d", "a"}; // four leaders: group 0 = ranks 0, 4; groups 1-3 one rank each
        float[][] fp32 = vectors(jvmOf.length, 8);
        float[][] bf = vectors(jvmOf.length, 9);
        List<List<float[]>> got = run(jvmOf, fp32, bf, true, true);
        float[] tree = new float[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            float a = fp32[0][i] + fp32[4][i];
            tree[i] = (a + fp32[2][i]) + (fp32[1][i] + fp32[3][i]); // halving pairs the groups 2 apart, then 1 apart
        }
        for (int rank = 0; rank < jvmOf.length; rank++) {
            assertArrayEquals(tree, got.get(rank).get(0), "rank " + rank + ", fp32");
            assertArrayEquals(tree, got.get(rank).get(2), "rank " + rank + ": in parts, the whole call's bits");
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void oneWorkerPerJvmGivesFlatAeronsBits() throws Exception {
        String[] jvmOf = {"a", "b", "c"};
        float[][] fp32 = vectors(3, 7);
        float[][] bf = vectors(3, 8);
        List<List<float[]>> hierarchical = run(jvmOf, fp32, bf, true);
        List<List<float[]>> flat = run(jvmOf, fp32, bf, false);
        for (int rank = 0; rank < 3; rank++) {
            for (int call = 0; call < 3; call++) {
                assertArrayEquals(flat.get(0).get(call), hierarchical.get(rank).get(call), "rank " + rank + ", call " + call);
            }
        }
    }

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aLeaderThatLeavesFailsItsJvmsWorkersAtOnce() throws Exception {
        String[] jvmOf = {"a", "b", "b"};
        Placement placement = Placement.of(jvmOf);
        Rendezvous.InProcess exchange = new Rendezvous.InProcess(3);
        RunToken token = RunToken.random();
        String key = "leave-" + System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<String>> errors = new ArrayList<>();
            for (int rank = 0; rank < 3; rank++) {
                int r = rank;
                errors.add(pool.submit(() -> {
                    try (AllReduce ar = HierarchicalAllReduce.open(r, placement, 100, AeronHost.udp("127.0.0.1"), exchange.as(r), key, token, Duration.ofSeconds(4),
                            () -> false, false)) {
                        if (r == 1) {
                            return "left"; // group 1's leader: its task ends before the first step
                        }
                        return assertThrows(IllegalStateException.class, () -> ar.reduce(Nd4j.ones(100), 1, 0)).getMessage();
                    }
                }));
            }
            long t0 = System.nanoTime();
            String member = errors.get(2).get(20, TimeUnit.SECONDS);
            assertTrue(System.nanoTime() - t0 < 3_000_000_000L, "the worker of the leader's JVM stops within ticks, not after the stall");
            assertTrue(member.contains("worker(s) [0] left the all-reduce"), member);
            String otherLeader = errors.get(0).get(30, TimeUnit.SECONDS);
            assertTrue(otherLeader.contains("worker 0") && otherLeader.contains("nothing for 4 s"), otherLeader);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void placementGroupsRanksByJvmInTheOrderOfTheirSmallestRank() {
        Placement p = Placement.of(new String[] {"x", "y", "x", "z", "y"});
        assertEquals(3, p.groupCount());
        assertArrayEquals(new int[] {0, 2}, p.members(0));
        assertArrayEquals(new int[] {1, 4}, p.members(1));
        assertArrayEquals(new int[] {3}, p.members(2));
        assertEquals(1, p.localRank(4));
        assertTrue(p.leads(3) && !p.leads(2));
        assertTrue(!p.oneJvm() && !p.allAlone());
        assertTrue(Placement.of(new String[] {"x", "x"}).oneJvm());
        assertTrue(Placement.of(new String[] {"x", "y"}).allAlone());
    }
}
