package dev.kindling.spark.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class ExecutorShardsTest {
    private final Map<String, AtomicInteger> loads = new ConcurrentHashMap<>();

    private DataSet load(String path) {
        loads.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        return new DataSet(Nd4j.ones(4, 3), Nd4j.ones(4, 1));   // 64 bytes
    }

    @Test
    void replicasOfOneRunShareWhatTheJvmKeptAndAnotherRunStartsEmpty() {
        Function<String, DataSet> rank0 = ExecutorShards.of("run-a", this::load, 1 << 20);
        Function<String, DataSet> rank1 = ExecutorShards.of("run-a", this::load, 1 << 20);
        assertSame(rank0, rank1, "one cache per run in a JVM");
        DataSet first = rank0.apply("s0");
        assertSame(first, rank1.apply("s0"), "rank 1 gets the shard rank 0 loaded");
        assertEquals(1, loads.get("s0").get());
        assertEquals(64, ExecutorShards.keptBytes());

        Function<String, DataSet> next = ExecutorShards.of("run-b", this::load, 1 << 20);
        assertNotSame(rank0, next);
        assertEquals(0, ExecutorShards.keptBytes(), "a new run drops the previous run's shards");
        next.apply("s0");
        assertEquals(2, loads.get("s0").get());
    }

    @Test
    void replicasLoadDifferentShardsAtOnceAndBothAreKept() throws Exception {
        CountDownLatch bothLoading = new CountDownLatch(2);
        Function<String, DataSet> cache = ExecutorShards.of("run-c", path -> {
            bothLoading.countDown();
            try {
                // each load waits for the other: loads under the cache's lock would wait here until the timeout
                if (!bothLoading.await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException(path + ": the other replica's load never started");
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return load(path);
        }, 1 << 20);
        Thread other = new Thread(() -> cache.apply("s1"));
        other.start();
        cache.apply("s2");
        other.join(10_000);
        assertEquals(128, ExecutorShards.keptBytes());
    }
}
