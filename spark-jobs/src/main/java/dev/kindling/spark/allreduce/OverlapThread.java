package dev.kindling.spark.allreduce;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The thread a worker's gradient buckets are all-reduced on while its training thread goes on with
 * backprop (PyTorch DDP's overlap). Parts run one at a time in the order they were launched, which is
 * the same on every worker. A part that fails fails the step: the training thread gets the error when
 * it waits, and parts launched after it are skipped.
 */
final class OverlapThread implements AutoCloseable {
    private final ExecutorService thread;
    private final List<Future<?>> inFlight = new ArrayList<>();
    private final AtomicBoolean leaving;
    private volatile RuntimeException failure;
    private long blockedNanos;

    /** @param leaving set on close: the all-reduce's calls read it as cancelled, so a part in flight stops at once */
    OverlapThread(int rank, AtomicBoolean leaving) {
        this.leaving = leaving;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "kindling-allreduce-" + rank);
            t.setDaemon(true);
            return t;
        });
    }

    void launch(Runnable part) {
        inFlight.add(thread.submit(() -> {
            if (failure == null) {
                try {
                    part.run();
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
        }));
    }

    /** Waits until every launched part is done; rethrows the first failure. */
    void awaitAll() {
        long t0 = System.nanoTime();
        try {
            for (Future<?> f : inFlight) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("all-reduce: interrupted waiting for the gradient's buckets", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("all-reduce: a bucket failed", e.getCause());
        } finally {
            inFlight.clear();
            blockedNanos += System.nanoTime() - t0;
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Seconds the training thread waited in {@link #awaitAll}. */
    double blockedSeconds() {
        return blockedNanos / 1e9;
    }

    @Override
    public void close() {
        leaving.set(true);
        thread.shutdownNow();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
