package dev.kindling.spark.runtime;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The mid-epoch resume tests' fault, installed through {@link FaultInjection}'s service file in the
 * test resources and off unless the environment asks: {@code KINDLING_TEST_FAIL_REPLICA=e:r} makes
 * replica 1 of Kindling's master fail once in this JVM, after it trained round r (0-based) of epoch e
 * (1-based), as a replica whose executor is lost would. Its peer is then cancelled by Spark.
 */
public final class FailingReplica implements FaultInjection {
    static final String FAIL_REPLICA = "KINDLING_TEST_FAIL_REPLICA";
    private static final AtomicBoolean FAILED = new AtomicBoolean();

    @Override
    public void afterRound(int epoch, int round, int rank) {
        String at = System.getenv(FAIL_REPLICA);
        if (at == null || rank != 1) {
            return;
        }
        String[] parts = at.trim().split(":");
        if (Integer.parseInt(parts[0]) == epoch + 1 && Integer.parseInt(parts[1]) == round && FAILED.compareAndSet(false, true)) {
            throw new IllegalStateException("injected: replica 1 lost after round " + round + " of epoch " + (epoch + 1));
        }
    }
}
