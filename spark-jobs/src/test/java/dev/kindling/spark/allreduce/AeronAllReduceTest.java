package dev.kindling.spark.allreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.spark.config.Wire;
import io.aeron.ExclusivePublication;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The all-reduce over real Aeron UDP between threads of this JVM, each one worker. */
class AeronAllReduceTest {

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void everyWorkerEndsWithTheSameSumOfAllVectorsCallAfterCall() throws Exception {
        int size = 3;
        int length = 100_003; // several 16K-float messages per chunk, chunks of unequal length
        int calls = 3;
        float[][][] inputs = new float[calls][size][length];
        Random random = new Random(7);
        for (float[][] call : inputs) {
            for (float[] v : call) {
                for (int i = 0; i < length; i++) {
                    v[i] = (float) random.nextGaussian();
                }
            }
        }
        List<List<float[]>> got = onWorkers(size, length, (r, ar) -> {
            List<float[]> out = new ArrayList<>();
            for (int call = 0; call < calls; call++) {
                var v = Nd4j.createFromArray(inputs[call][r]);
                AllReduce.Totals t = ar.reduce(v, 10 + r, 0.5 * (r + 1));
                assertEquals(10 + 11 + 12, t.samples(), 0.0);
                assertEquals(0.5 + 1.0 + 1.5, t.lossSum(), 1e-12);
                out.add(v.toFloatVector());
            }
            assertEquals(calls * expectedBytesPerCall(r, size, length), ar.bytesSent(),
                    "each worker sends the other workers' chunks once and its own chunk to each of them");
            return out;
        });
        for (int call = 0; call < calls; call++) {
            float[] expected = new float[length];
            for (int i = 0; i < length; i++) {
                float s = inputs[call][0][i]; // summed in rank order, in float, as the chunk's owner does
                for (int r = 1; r < size; r++) {
                    s += inputs[call][r][i];
                }
                expected[i] = s;
            }
            for (int rank = 0; rank < size; rank++) {
                assertArrayEquals(expected, got.get(rank).get(call), "call " + call + ", worker " + rank + ": bit-identical sums");
            }
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void halfPrecisionWiresHalveTheBytesAndEveryWorkerEndsWithTheSameFp32SumsOfRoundedValues() throws Exception {
        int size = 3;
        // 400 KB a half-precision call, 24 calls: sends that Aeron refuses for a moment (back-pressure, a term rotation)
        // drain (receive) meanwhile, as a model's gradient steps do
        int length = 200_003;
        Wire[] wires = new Wire[24]; // mixed on one all-reduce, as a gradient and an epoch's parameters are; many calls, many term rotations
        for (int call = 0; call < wires.length; call++) {
            wires[call] = call % 6 == 5 ? Wire.FP32 : call % 2 == 0 ? Wire.BF16 : Wire.FP16;
        }
        float[][][] inputs = new float[wires.length][size][length];
        Random random = new Random(11);
        for (float[][] call : inputs) {
            for (float[] v : call) {
                for (int i = 0; i < length; i++) {
                    v[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(5) - 4)); // 1e-4 .. 1 in size
                }
            }
        }
        List<List<float[]>> got = onWorkers(size, length, (r, ar) -> {
            List<float[]> out = new ArrayList<>();
            long bytes = 0;
            for (int call = 0; call < wires.length; call++) {
                var v = Nd4j.createFromArray(inputs[call][r]);
                assertEquals(1 + 2 + 3, ar.reduce(v, r + 1, 0, wires[call]).samples(), 0.0);
                out.add(v.toFloatVector());
                bytes += expectedBytesPerCall(r, size, length, wires[call]);
            }
            assertEquals(bytes, ar.bytesSent(), "2 bytes a value on a half-precision wire, 4 on fp32");
            return out;
        });
        for (int call = 0; call < wires.length; call++) {
            float[] exact = new float[length];
            float[] rounded = new float[length];
            for (int r = 0; r < size; r++) {
                float[] x = rounded(inputs[call][r], wires[call]);
                for (int i = 0; i < length; i++) {
                    exact[i] += inputs[call][r][i];
                    rounded[i] += x[i]; // in rank order, in fp32, as the chunk's owner sums
                }
            }
            float[] expected = rounded(rounded, wires[call]); // the owner's sum as the others receive it
            // each of the 3 contributions and the sum rounded once: at most a unit roundoff of the magnitudes each, and for
            // fp16 also half its smallest subnormal step (2^-25) each, below 6.1e-5 where it holds fewer bits
            double unit = wires[call] == Wire.BF16 ? 0x1p-8 : wires[call] == Wire.FP16 ? 0x1p-11 : 0;
            double floor = wires[call] == Wire.FP16 ? 4 * 0x1p-25 : 0;
            for (int i = 0; i < length; i++) {
                double magnitude = Math.abs(inputs[call][0][i]) + Math.abs(inputs[call][1][i]) + Math.abs(inputs[call][2][i]);
                double bound = (2 * unit + 1e-6) * magnitude + floor;
                assertTrue(Math.abs(expected[i] - exact[i]) <= bound, wires[call] + " at " + i + ": " + expected[i] + " vs exact " + exact[i]);
            }
            for (int rank = 0; rank < size; rank++) {
                assertArrayEquals(expected, got.get(rank).get(call), "call " + call + " (" + wires[call] + "), worker " + rank
                        + ": bit-identical sums");
            }
        }
    }

    /** {@code x} rounded to {@code wire}'s precision and back, as ND4J casts. */
    private static float[] rounded(float[] x, Wire wire) {
        return Nd4j.createFromArray(x).castTo(wire.type).castTo(DataType.FLOAT).toFloatVector();
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void everyWorkerLearnsEachWorkersOwnStepTimeAndRankZeroNamesTheStraggler() throws Exception {
        int size = 3;
        int calls = 1 + RankTime.MIN_STEPS; // a first round that opens the window, then one window
        long slowMs = 30;
        List<Object[]> got = onWorkers(size, 1000, (r, ar) -> {
            LiveStragglers live = new LiveStragglers(new String[] {"0 host-a", "1 host-b", "2 host-c"});
            List<String> named = new ArrayList<>();
            for (int call = 0; call < calls; call++) {
                if (r == 2) {
                    Thread.sleep(slowMs); // rank 2's own step is slow; the others wait for it in the all-reduce
                }
                ar.reduce(Nd4j.ones(DataType.FLOAT, 1000), 1, 0);
                named.addAll(live.afterRound(ar.busySeconds()));
            }
            return new Object[] {ar.busySeconds(), named};
        });
        for (int rank = 0; rank < size; rank++) {
            double[] busy = (double[]) got.get(rank)[0];
            assertTrue(busy[2] >= calls * slowMs / 1e3 * 0.95, "worker " + rank + " sees rank 2's " + calls + " slow steps: " + busy[2]);
            assertTrue(busy[0] < busy[2] / 3 && busy[1] < busy[2] / 3, "worker " + rank + ": ranks 0 and 1 waited, not worked: "
                    + java.util.Arrays.toString(busy));
            @SuppressWarnings("unchecked")
            List<String> named = (List<String>) got.get(rank)[1];
            assertEquals(1, named.size(), named.toString());
            assertTrue(named.get(0).startsWith("rank 2 (executor 2 on host-c)"), named.get(0));
        }
    }

    /** What a worker does once it has joined the all-reduce; returns what the test checks. */
    @FunctionalInterface
    private interface Worker<T> {
        T run(int rank, AeronAllReduce ar) throws Exception;
    }

    /**
     * Runs {@code size} workers, each on its own thread, joined to one all-reduce of {@code length}
     * floats over UDP loopback (30 s stall); returns what each returned, in rank order.
     */
    private static <T> List<T> onWorkers(int size, int length, Worker<T> worker) throws Exception {
        Rendezvous.InProcess exchange = new Rendezvous.InProcess(size);
        RunToken token = RunToken.random();
        return EachRank.run(size, r -> {
            try (AeronAllReduce ar = AeronAllReduce.open(r, size, length, AeronHost.udp("127.0.0.1"), exchange.as(r), token, Duration.ofSeconds(30), () -> false)) {
                return worker.run(r, ar);
            }
        });
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void sparseSumsAreTheRankOrderSumsOfEveryWorkersPairsBetweenDenseCalls() throws Exception {
        int size = 3;
        int length = 50_000;
        // per call, worker r sends counts[call][r] pairs (0: an empty set; 20,000: several messages)
        int[][] counts = {{20_000, 0, 7}, {1, 3_000, 20_000}};
        int[][][] index = new int[counts.length][size][];
        float[][][] value = new float[counts.length][size][];
        Random random = new Random(11);
        for (int call = 0; call < counts.length; call++) {
            for (int r = 0; r < size; r++) {
                index[call][r] = random.ints(0, length).distinct().limit(counts[call][r]).toArray();
                value[call][r] = new float[counts[call][r]];
                for (int j = 0; j < counts[call][r]; j++) {
                    value[call][r][j] = (float) random.nextGaussian();
                }
            }
        }
        List<List<float[]>> got = onWorkers(size, length, (r, ar) -> {
            List<float[]> out = new ArrayList<>();
            long dense = 0;
            for (int call = 0; call < counts.length; call++) {
                var v = Nd4j.zeros(length);
                AllReduce.Totals t = ar.reduceSparse(v, index[call][r], value[call][r], counts[call][r], 1 + r, r);
                assertEquals(1 + 2 + 3, t.samples(), 0.0);
                assertEquals(0 + 1 + 2, t.lossSum(), 0.0);
                out.add(v.toFloatVector());
                var ones = Nd4j.ones(length); // a dense call between the sparse ones
                ar.reduce(ones, 0, 0);
                assertEquals(size, ones.minNumber().doubleValue(), 0.0);
                dense += expectedBytesPerCall(r, size, length);
            }
            long sparse = 0;
            for (int[] call : counts) {
                long messages = Math.max(1, (call[r] + Frame.PIECE_PAIRS - 1) / Frame.PIECE_PAIRS);
                sparse += (size - 1) * (8L * call[r] + messages * Frame.HEADER_BYTES);
            }
            assertEquals(dense + sparse, ar.bytesSent(), "8 bytes per pair to each peer, one header per message");
            return out;
        });
        for (int call = 0; call < counts.length; call++) {
            float[] expected = new float[length];
            for (int r = 0; r < size; r++) { // rank order, in float, from zeros
                for (int j = 0; j < counts[call][r]; j++) {
                    expected[index[call][r][j]] += value[call][r][j];
                }
            }
            for (int rank = 0; rank < size; rank++) {
                assertArrayEquals(expected, got.get(rank).get(call), "call " + call + ", worker " + rank + ": bit-identical sums");
            }
        }
    }

    /** Chunk j is [j L / size, (j + 1) L / size); every message carries at most PIECE_FLOATS floats. */
    static long expectedBytesPerCall(int rank, int size, long length) {
        return expectedBytesPerCall(rank, size, length, Wire.FP32);
    }

    static long expectedBytesPerCall(int rank, int size, long length, Wire wire) {
        long bytes = 0;
        for (int j = 0; j < size; j++) {
            long chunk = (j + 1) * length / size - j * length / size;
            long own = (rank + 1) * length / size - rank * length / size;
            if (j != rank) {
                for (long n : new long[] {chunk, own}) { // reduce-scatter: chunk j to j; all-gather: own chunk to j
                    long messages = (n + Frame.PIECE_FLOATS - 1) / Frame.PIECE_FLOATS;
                    bytes += wire.bytes() * n + messages * Frame.HEADER_BYTES;
                }
            }
        }
        return bytes;
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aPeerThatStopsSendingFailsTheStepNamingIt() throws Exception {
        Rendezvous.InProcess exchange = new Rendezvous.InProcess(2);
        RunToken token = RunToken.random();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            // worker 1 joins, then never takes part in a step
            Future<AeronAllReduce> silent = pool.submit(() -> AeronAllReduce.open(1, 2, 1000, AeronHost.udp("127.0.0.1"), exchange.as(1), token, Duration.ofSeconds(30), () -> false));
            Future<String> failure = pool.submit(() -> {
                try (AeronAllReduce ar = AeronAllReduce.open(0, 2, 1000, AeronHost.udp("127.0.0.1"), exchange.as(0), token, Duration.ofSeconds(2), () -> false)) {
                    long t0 = System.nanoTime();
                    IllegalStateException e = assertThrows(IllegalStateException.class, () -> ar.reduce(Nd4j.ones(1000), 1, 0));
                    assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "fails after the 2 s stall, not never");
                    return e.getMessage();
                }
            });
            String message = failure.get(60, TimeUnit.SECONDS);
            silent.get(10, TimeUnit.SECONDS).close();
            assertTrue(message.contains("worker 1 at 127.0.0.1:") && message.contains("nothing for 2 s"), message);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A sender that is not a worker of this all-reduce (it lacks the epoch's token) publishes
     * well-formed frames, plausible in every other field, and a truncated datagram to both workers'
     * ports: the sums and totals are what the two workers contributed, and every such frame is counted.
     */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void framesWithoutTheRunsTokenChangeNoSumAndAreCounted() throws Exception {
        int size = 2;
        int length = 40_000;
        Rendezvous.InProcess exchange = new Rendezvous.InProcess(size);
        RunToken token = RunToken.random();
        AtomicReference<String[]> endpoints = new AtomicReference<>();
        CountDownLatch attacked = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(size);
        try {
            List<Future<Long>> results = new ArrayList<>();
            for (int rank = 0; rank < size; rank++) {
                int r = rank;
                Rendezvous recorded = mine -> {
                    String[] all = exchange.as(r).allGather(mine);
                    endpoints.set(all);
                    return all;
                };
                results.add(pool.submit(() -> {
                    try (AeronAllReduce ar = AeronAllReduce.open(r, size, length, AeronHost.udp("127.0.0.1"), recorded, token, Duration.ofSeconds(30), () -> false)) {
                        assertTrue(attacked.await(60, TimeUnit.SECONDS), "the foreign sender finished");
                        for (int call = 0; call < 3; call++) {
                            var v = Nd4j.ones(length).muli(r + 1);
                            AllReduce.Totals t = ar.reduce(v, r + 1, 10 * (r + 1));
                            assertEquals(3, v.minNumber().doubleValue(), 0.0, "1 + 2 everywhere");
                            assertEquals(3, v.maxNumber().doubleValue(), 0.0, "1 + 2 everywhere");
                            assertEquals(3, t.samples(), 0.0);
                            assertEquals(30, t.lossSum(), 0.0);
                        }
                        return ar.foreignFrames();
                    }
                }));
            }
            int sent = 0;
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (endpoints.get() == null) {
                assertTrue(System.nanoTime() < deadline, "the workers never met");
                Thread.sleep(10);
            }
            UnsafeBuffer frame = new UnsafeBuffer(new byte[Frame.HEADER_BYTES + 4 * 100]);
            Frame.sign(frame, RunToken.random()); // the wrong secret
            for (int i = 0; i < 100; i++) {
                frame.putFloat(Frame.HEADER_BYTES + 4 * i, 1000f);
            }
            UnsafeBuffer truncated = new UnsafeBuffer(new byte[10]);
            for (String endpoint : endpoints.get()) {
                try (ExclusivePublication foreign = AeronNode.aeron().addExclusivePublication(AeronNode.channel(endpoint, AeronNode.frameMtu("127.0.0.1")), Frame.STREAM_ID)) {
                    for (int call = 0; call < 3; call++) {
                        for (int phase : new int[] {Frame.REDUCE_SCATTER, Frame.ALL_GATHER}) {
                            Frame.write(frame, call, phase, 1, 0, 100, 0, 1e6, 1e6, 0, dev.kindling.spark.config.Wire.FP32); // "worker 1", the right call and phase
                            sent += offer(foreign, frame, frame.capacity(), deadline);
                        }
                    }
                    sent += offer(foreign, truncated, truncated.capacity(), deadline);
                }
            }
            attacked.countDown();
            long counted = 0;
            for (Future<Long> f : results) {
                counted += f.get(90, TimeUnit.SECONDS);
            }
            assertEquals(14, sent);
            assertTrue(counted > 0 && counted <= sent, "foreign frames counted: " + counted + " of " + sent);
        } finally {
            pool.shutdownNow();
        }
    }

    private static int offer(ExclusivePublication pub, UnsafeBuffer buffer, int length, long deadline) throws InterruptedException {
        while (pub.offer(buffer, 0, length) < 0) {
            assertTrue(System.nanoTime() < deadline, "the foreign publication never connected");
            Thread.sleep(5);
        }
        return 1;
    }
}
