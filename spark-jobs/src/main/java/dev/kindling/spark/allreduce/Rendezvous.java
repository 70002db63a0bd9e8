package dev.kindling.spark.allreduce;

import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

/** Exchanges one string per worker, in rank order (Spark's {@code BarrierTaskContext.allGather}). */
@FunctionalInterface
public interface Rendezvous {
    String[] allGather(String mine);

    /**
     * The rendezvous of {@code size} workers that are threads of one JVM (the benchmark's and the
     * tests'): each {@link Rendezvous#allGather} waits for all, up to a minute.
     */
    final class InProcess {
        private final String[] slots;
        private final CyclicBarrier barrier;

        public InProcess(int size) {
            slots = new String[size];
            barrier = new CyclicBarrier(size);
        }

        public Rendezvous as(int rank) {
            return mine -> {
                slots[rank] = mine;
                try {
                    barrier.await(60, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException("all-reduce rendezvous in this JVM: " + e, e);
                }
                return slots.clone();
            };
        }
    }
}
