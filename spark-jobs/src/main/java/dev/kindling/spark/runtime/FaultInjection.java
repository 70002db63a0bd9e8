package dev.kindling.spark.runtime;

import java.util.List;
import java.util.ServiceLoader;

/**
 * A hook for failure-injection tests, found with {@link ServiceLoader}: the production jar ships no
 * implementation, so {@link #beforeEachEpoch} and {@link #afterEachRound} do nothing there; the tests
 * install theirs (a hanging epoch for the watchdog and auto-resume, a replica that fails mid-epoch for
 * mid-epoch resume) through a service file on their classpath.
 */
public interface FaultInjection {

    /** Called on the driver before an epoch's distributed work starts (0-based). */
    default void beforeEpoch(int epoch) throws InterruptedException {
    }

    /** Called in a replica of Kindling's master after it trained round {@code round} (0-based, from the epoch's start). */
    default void afterRound(int epoch, int round, int rank) {
    }

    /** Runs every installed hook. */
    static void beforeEachEpoch(int epoch) throws InterruptedException {
        for (FaultInjection f : Installed.HOOKS) {
            f.beforeEpoch(epoch);
        }
    }

    /** Runs every installed hook (executors load them too: the test's local master runs them in its JVM). */
    static void afterEachRound(int epoch, int round, int rank) {
        for (FaultInjection f : Installed.HOOKS) {
            f.afterRound(epoch, round, rank);
        }
    }

    /** Loaded once per JVM. */
    final class Installed {
        static final List<FaultInjection> HOOKS = ServiceLoader.load(FaultInjection.class).stream().map(ServiceLoader.Provider::get).toList();

        private Installed() {}
    }
}
