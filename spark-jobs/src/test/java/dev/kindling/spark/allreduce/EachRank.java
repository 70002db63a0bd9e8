package dev.kindling.spark.allreduce;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** The workers of an all-reduce as threads of this JVM: one task per rank, their results in rank order. */
final class EachRank {
    @FunctionalInterface
    interface Task<T> {
        T run(int rank) throws Exception;
    }

    /** Runs {@code task} for ranks 0 .. workers - 1 at once and waits (up to 90 s each) for all of them. */
    static <T> List<T> run(int workers, Task<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int rank = 0; rank < workers; rank++) {
                int r = rank;
                futures.add(pool.submit(() -> task.run(r)));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(90, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private EachRank() {}
}
