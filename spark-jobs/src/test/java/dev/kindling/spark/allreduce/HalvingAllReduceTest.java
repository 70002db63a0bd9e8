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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Recursive halving and doubling over real Aeron UDP between threads of this JVM. The expected sums are computed
 * per element from the algorithm's definition (pairs at distance p/2, then p/4, ..., after the fold), not chunk by
 * chunk as the workers do, so a chunk or region mixed up in the workers' bookkeeping shows.
 */
class HalvingAllReduceTest {
    private static final int LENGTH = 70_001; // several 16K-float messages per stage, chunks of unequal length

    private static float[][] vectors(int workers, long seed) {
        return WorkerVectors.of(workers, LENGTH, seed);
    }

    private static float bf16(float x) {
        return WorkerVectors.bf16(x);
    }

    /** Element i's sum by the definition: fold, then at each stage u's value plus u ^ d's, each rounded first. */
    private static float treeSum(float[][] x, int i, boolean round) {
        int n = x.length;
        int p = Integer.highestOneBit(n);
        int extra = n - p;
        float[] t = new float[p];
        for (int u = 0; u < p; u++) {
            t[u] = u < extra ? r(x[2 * u][i], round) + r(x[2 * u + 1][i], round) : r(x[u + extra][i], round);
        }
        for (int d = p / 2; d >= 1; d /= 2) {
            float[] next = new float[p];
            for (int u = 0; u < p; u++) {
                next[u] = r(t[u], round) + r(t[u ^ d], round);
            }
            t = next;
        }
        return r(t[0], round);
    }

    private static float r(float x, boolean round) {
        return round ? bf16(x) : x;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 5, 8})
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void everyWorkerEndsWithTheTreeSumWholeOrInPartsAndTheRankOrderTotals(int workers) throws Exception {
        float[][] fp32 = vectors(workers, 11 + workers);
        float[][] bf = vectors(workers, 12 + workers);
        Rendezvous.InProcess exchange = new Rendezvous.InProcess(workers);
        RunToken token = RunToken.random();
        List<List<float[]>> got = EachRank.run(workers, r -> {
            List<float[]> out = new ArrayList<>();
            try (HalvingAllReduce ar = HalvingAllReduce.open(r, workers, LENGTH, AeronHost.udp("127.0.0.1"), exchange.as(r), token, Duration.ofSeconds(30),
                    () -> false)) {
                var v = Nd4j.createFromArray(fp32[r]);
                AllReduce.Totals t = ar.reduce(v, r + 1, 0.5 * r);
                assertEquals(workers * (workers + 1) / 2.0, t.samples(), 0.0);
                assertEquals(0.5 * workers * (workers - 1) / 2, t.lossSum(), 1e-12);
                out.add(v.toFloatVector());
                v = Nd4j.createFromArray(bf[r]);
                ar.reduce(v, 1, 0, Wire.BF16);
                out.add(v.toFloatVector());
                v = Nd4j.createFromArray(fp32[r]);
                long[] cuts = {LENGTH, 20_000, 5, 0}; // from the end, as backprop finishes them; 5 floats among 8: empty chunks
                for (int c = 0; c + 1 < cuts.length; c++) {
                    ar.reduceRange(v, cuts[c + 1], cuts[c], Wire.FP32);
                }
                assertEquals(workers, ar.totals(1, 0, 0.25 * (r + 1)).samples(), 0.0);
                out.add(v.toFloatVector());
                double[] busy = ar.busySeconds();
                for (int other = 0; other < workers; other++) {
                    assertTrue(busy[other] >= 0.25 * (other + 1), "rank " + other + "'s busy seconds reached rank " + r + ": " + busy[other]);
                }
                int peers = ar.peers();
                int bound = Integer.numberOfTrailingZeros(Integer.highestOneBit(workers)) + 1;
                assertTrue(peers >= 1 && peers <= bound, "rank " + r + " talks to " + peers + " peers, at most log2 p + 1 = " + bound);
            }
            return out;
        });
        float[] tree = new float[LENGTH];
        float[] treeBf16 = new float[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            tree[i] = treeSum(fp32, i, false);
            treeBf16[i] = treeSum(bf, i, true);
        }
        for (int rank = 0; rank < workers; rank++) {
            assertArrayEquals(tree, got.get(rank).get(0), "rank " + rank + ", fp32: the tree sum");
            assertArrayEquals(treeBf16, got.get(rank).get(1), "rank " + rank + ", bf16: the tree sum, rounded at each stage");
            assertArrayEquals(tree, got.get(rank).get(2), "rank " + rank + ": in parts, the whole call's bits");
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void eachOfFourWorkersSendsThreeQuartersOfTheVectorTwiceInFourMessagesAPiece() throws Exception {
        int workers = 4;
        Rendezvous.InProcess exchange = new Rendezvous.InProcess(workers);
        RunToken token = RunToken.random();
        int length = 4 * Frame.PIECE_FLOATS; // every stage's half a whole number of pieces
        List<Long> sent = EachRank.run(workers, r -> {
            try (HalvingAllReduce ar = HalvingAllReduce.open(r, workers, length, AeronHost.udp("127.0.0.1"), exchange.as(r), token, Duration.ofSeconds(30),
                    () -> false)) {
                ar.reduceRange(Nd4j.ones(length), 0, length, Wire.FP32);
                return ar.bytesSent();
            }
        });
        // halving: 1/2 then 1/4 of the vector; doubling: 1/4 then 1/2; 2 (N - 1) / N in all, as the all-to-all
        long payload = 2L * (workers - 1) * length / workers * 4;
        long messages = 2 * (2 + 1); // stage 1: 2 pieces, stage 2: 1, each way
        for (int r = 0; r < workers; r++) {
            assertEquals(payload + messages * Frame.HEADER_BYTES, sent.get(r), "rank " + r);
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aPeerThatStopsSendingFailsTheStepNamingIt() throws Exception {
        Rendezvous.InProcess exchange = new Rendezvous.InProcess(2);
        RunToken token = RunToken.random();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<HalvingAllReduce> silent = pool.submit(() -> HalvingAllReduce.open(1, 2, 1000, AeronHost.udp("127.0.0.1"), exchange.as(1), token,
                    Duration.ofSeconds(30), () -> false));
            Future<String> failure = pool.submit(() -> {
                try (HalvingAllReduce ar = HalvingAllReduce.open(0, 2, 1000, AeronHost.udp("127.0.0.1"), exchange.as(0), token, Duration.ofSeconds(2),
                        () -> false)) {
                    return assertThrows(IllegalStateException.class, () -> ar.reduce(Nd4j.ones(1000), 1, 0)).getMessage();
                }
            });
            String message = failure.get(60, TimeUnit.SECONDS);
            silent.get(10, TimeUnit.SECONDS).close();
            assertTrue(message.contains("worker 1 at 127.0.0.1:") && message.contains("nothing for 2 s")
                    && message.contains("halving reduce-scatter"), message);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void refusesTopkSparsePairs() throws Exception {
        Rendezvous.InProcess exchange = new Rendezvous.InProcess(1);
        try (HalvingAllReduce ar = HalvingAllReduce.open(0, 1, 10, AeronHost.udp("127.0.0.1"), exchange.as(0), RunToken.random(), Duration.ofSeconds(5),
                () -> false)) {
            assertThrows(UnsupportedOperationException.class, () -> ar.reduceSparse(Nd4j.zeros(10), new int[0], new float[0], 0, 1, 0));
        }
    }
}
