package dev.kindling.spark.runtime;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The watchdog and auto-resume tests' fault, installed through {@link FaultInjection}'s service file
 * in the test resources and off unless the environment asks: {@code KINDLING_TEST_HANG_EPOCH=n} makes
 * the first attempt at epoch n (1-based) in this driver block until it is interrupted, as an epoch
 * whose worker is stuck in Aeron would. Later attempts (an auto-resumed run in the same driver) run
 * normally.
 */
public final class HangingEpoch implements FaultInjection {
    static final String HANG_EPOCH = "KINDLING_TEST_HANG_EPOCH";
    private static final AtomicBoolean HUNG = new AtomicBoolean();

    @Override
    public void beforeEpoch(int epoch) throws InterruptedException {
        String at = System.getenv(HANG_EPOCH);
        if (at != null && Integer.parseInt(at.trim()) == epoch + 1 && HUNG.compareAndSet(false, true)) {
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
