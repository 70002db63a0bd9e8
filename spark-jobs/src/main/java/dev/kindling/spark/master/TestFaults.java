package dev.kindling.spark.master;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Failure injection for the watchdog and auto-resume tests, off unless the environment asks:
 * {@code KINDLING_TEST_HANG_EPOCH=n} makes the first attempt at epoch n (1-based) in this driver
 * block until it is interrupted, as an epoch whose worker is stuck in Aeron would. Later attempts
 * (an auto-resumed run in the same driver) run normally.
 */
final class TestFaults {
    static final String HANG_EPOCH = "KINDLING_TEST_HANG_EPOCH";
    private static final AtomicBoolean HUNG = new AtomicBoolean();

    static void maybeHang(int epoch) throws InterruptedException {
        String at = System.getenv(HANG_EPOCH);
        if (at != null && Integer.parseInt(at.trim()) == epoch + 1 && HUNG.compareAndSet(false, true)) {
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    private TestFaults() {}
}
