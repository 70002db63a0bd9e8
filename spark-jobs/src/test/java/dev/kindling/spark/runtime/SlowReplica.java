package dev.kindling.spark.runtime;

/**
 * The straggler test's fault, installed through {@link FaultInjection}'s service file in the test
 * resources and off unless the environment asks: {@code KINDLING_TEST_SLOW_REPLICA=rank:ms} makes that
 * replica of Kindling's master sleep {@code ms} after every round, as a replica on a slower or busier
 * machine would take longer for its own steps.
 */
public final class SlowReplica implements FaultInjection {
    static final String SLOW_REPLICA = "KINDLING_TEST_SLOW_REPLICA";

    @Override
    public void afterRound(int epoch, int round, int rank) {
        String at = System.getenv(SLOW_REPLICA);
        if (at == null) {
            return;
        }
        String[] parts = at.trim().split(":");
        if (Integer.parseInt(parts[0]) == rank) {
            try {
                Thread.sleep(Long.parseLong(parts[1]));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
