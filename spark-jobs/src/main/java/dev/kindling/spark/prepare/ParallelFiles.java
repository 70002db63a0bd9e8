package dev.kindling.spark.prepare;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * File operations from a few threads at once. A small file on HDFS costs round trips (create, add a
 * block, the data node pipeline, then polling the name node until the file is complete; a rename is one
 * more) far more than it costs bytes or CPU: measured 0.1 s per 32 kB shard written from one thread on the
 * local cluster. Running {@value #THREADS} at a time overlaps those waits.
 */
final class ParallelFiles {
    static final int THREADS = 8;

    interface Operation<T> {
        T run(int index) throws IOException;
    }

    /** Operations 0 .. n-1, run in any order; their results in index order. The first failure is thrown. */
    static <T> List<T> run(int n, Operation<T> op) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(THREADS, n)));
        try {
            List<Future<T>> futures = new ArrayList<>(n);
            for (int k = 0; k < n; k++) {
                int index = k;
                futures.add(pool.submit(() -> op.run(index)));
            }
            List<T> out = new ArrayList<>(n);
            for (Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during parallel file operations", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new UncheckedIOException(new IOException(e.getCause()));
        } finally {
            pool.shutdownNow();
        }
    }

    private ParallelFiles() {}
}
