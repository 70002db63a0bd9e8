package dev.kindling.spark.allreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.spark.config.Wire;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.factory.Nd4j;

/** The all-reduce among threads of this JVM through memory: Aeron's bits, and no wait that never ends. */
class InMemoryAllReduceTest {
    private static final int SIZE = 3;
    private static final int LENGTH = 50_003; // chunks of unequal length

    @FunctionalInterface
    interface Opener {
        AllReduce open(int rank);
    }

    /**
     * Every rank's vectors after: dense fp32, bf16 and fp16 calls, then a sparse call, then dense again, then the
     * first two calls' vectors again in three parts each.
     */
    private static List<List<float[]>> run(Opener opener, float[][][] dense, int[][] index, float[][] value) throws Exception {
        return EachRank.run(SIZE, r -> {
            List<float[]> out = new ArrayList<>();
            try (AllReduce ar = opener.open(r)) {
                Wire[] wires = {Wire.FP32, Wire.BF16, Wire.FP16, Wire.FP32};
                for (int call = 0; call < wires.length; call++) {
                    if (call == 3) {
                        var v = Nd4j.zeros(LENGTH);
                        AllReduce.Totals t = ar.reduceSparse(v, index[r], value[r], index[r].length, r + 1, 2.0 * r);
                        assertEquals(6, t.samples(), 0.0);
                        out.add(v.toFloatVector());
                    }
                    var v = Nd4j.createFromArray(dense[call][r]);
                    AllReduce.Totals t = ar.reduce(v, 10 + r, 0.5 * (r + 1), wires[call]);
                    assertEquals(10 + 11 + 12, t.samples(), 0.0);
                    out.add(v.toFloatVector());
                }
                for (int call = 0; call < 2; call++) { // the same vectors in parts, as --overlap sends a gradient: the whole call's bits
                    var v = Nd4j.createFromArray(dense[call][r]);
                    long[] cuts = {LENGTH, 30_001, 7, 0}; // from the end, as backprop finishes them; [0, 7): a chunk of 2 or 3
                    for (int p = 0; p + 1 < cuts.length; p++) {
                        ar.reduceRange(v, cuts[p + 1], cuts[p], wires[call]);
                    }
                    assertEquals(10 + 11 + 12, ar.totals(10 + r, 0.5 * (r + 1), 0.01).samples(), 0.0);
                    assertArrayEquals(out.get(call), v.toFloatVector(), "call " + call + " in parts");
                    out.add(v.toFloatVector());
                }
                assertEquals(SIZE, ar.busySeconds().length);
            }
            return out;
        });
    }

    @AfterEach
    void noGroupLeftBehind() {
        assertEquals(0, LocalGroup.alive(), "every group is removed when its last worker closes");
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void everyWorkerEndsWithAeronsBitsForEveryWireAndForSparsePairs() throws Exception {
        Random random = new Random(11);
        float[][][] dense = new float[4][SIZE][LENGTH];
        for (float[][] call : dense) {
            for (float[] v : call) {
                for (int i = 0; i < LENGTH; i++) {
                    v[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(9) - 6)); // magnitudes fp16 flushes or rounds
                }
            }
        }
        int[][] index = new int[SIZE][];
        float[][] value = new float[SIZE][];
        for (int r = 0; r < SIZE; r++) {
            int n = r == 1 ? 0 : 4_000 * (r + 1); // an empty set too
            index[r] = random.ints(0, LENGTH).distinct().limit(n).toArray();
            value[r] = new float[n];
            for (int j = 0; j < n; j++) {
                value[r][j] = (float) random.nextGaussian();
            }
        }
        Rendezvous.InProcess exchange = new Rendezvous.InProcess(SIZE);
        RunToken token = RunToken.random();
        List<List<float[]>> aeron = run(r -> AeronAllReduce.open(r, SIZE, LENGTH, AeronHost.udp("127.0.0.1"), exchange.as(r), token, Duration.ofSeconds(30),
                () -> false), dense, index, value);
        String key = "test-" + System.nanoTime();
        List<List<float[]>> memory = run(r -> InMemoryAllReduce.open(key, r, SIZE, LENGTH, Duration.ofSeconds(30), () -> false), dense, index, value);
        for (int rank = 0; rank < SIZE; rank++) {
            for (int call = 0; call < 7; call++) {
                assertArrayEquals(aeron.get(0).get(call), memory.get(rank).get(call), "rank " + rank + ", call " + call + ": Aeron's bits");
            }
        }
        float[] bf16 = memory.get(0).get(1);
        float[] exact = new float[LENGTH];
        for (int r = 0; r < SIZE; r++) {
            for (int i = 0; i < LENGTH; i++) {
                exact[i] += dense[1][r][i];
            }
        }
        assertTrue(!java.util.Arrays.equals(bf16, exact), "bf16 rounds: the sum is not the fp32 sum");
    }

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aWorkerThatNeverJoinsIsNamedAfterTheStall() {
        long t0 = System.nanoTime();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> InMemoryAllReduce.open("never-" + System.nanoTime(), 0, 2, 100, Duration.ofSeconds(1), () -> false));
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
        assertTrue(e.getMessage().contains("nothing for 1 s joining from worker(s) [1] of this JVM"), e.getMessage());
    }

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aCancelledTaskStopsWaitingAndAPeerThatLeavesFailsTheOthersAtOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            String key = "cancel-" + System.nanoTime();
            AtomicBoolean cancelled = new AtomicBoolean();
            Future<AllReduce> quiet = pool.submit(() -> InMemoryAllReduce.open(key, 1, 2, 100, Duration.ofSeconds(60), () -> false));
            Future<String> waiting = pool.submit(() -> {
                try (AllReduce ar = InMemoryAllReduce.open(key, 0, 2, 100, Duration.ofSeconds(60), cancelled::get)) {
                    return assertThrows(IllegalStateException.class, () -> ar.reduce(Nd4j.ones(100), 1, 0)).getMessage();
                }
            });
            AllReduce peer = quiet.get(10, TimeUnit.SECONDS);
            Thread.sleep(200);
            long t0 = System.nanoTime();
            cancelled.set(true);
            String message = waiting.get(10, TimeUnit.SECONDS);
            assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "stopped within a tick, not after the 60 s stall");
            assertTrue(message.contains("worker 0 cancelled at step 1"), message);
            IllegalStateException after = assertThrows(IllegalStateException.class, () -> peer.reduce(Nd4j.ones(100), 1, 0));
            assertTrue(after.getMessage().contains("cancelled"), "the peer learns why at once: " + after.getMessage());
            peer.close();

            String key2 = "leave-" + System.nanoTime();
            Future<String> left = pool.submit(() -> {
                try (AllReduce ar = InMemoryAllReduce.open(key2, 0, 2, 100, Duration.ofSeconds(60), () -> false)) {
                    return assertThrows(IllegalStateException.class, () -> ar.reduce(Nd4j.ones(100), 1, 0)).getMessage();
                }
            });
            InMemoryAllReduce.open(key2, 1, 2, 100, Duration.ofSeconds(60), () -> false).close(); // joins, then its task ends
            assertTrue(left.get(10, TimeUnit.SECONDS).contains("worker(s) [1] left the all-reduce at step 1"));
        } finally {
            pool.shutdownNow();
        }
    }
}
