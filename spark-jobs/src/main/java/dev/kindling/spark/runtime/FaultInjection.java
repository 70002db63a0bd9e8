package dev.kindling.spark.runtime;

import java.util.List;
import java.util.ServiceLoader;

/**
 * A hook for failure-injection tests, found with {@link ServiceLoader}: the production jar ships no
 * implementation, so {@link #beforeEachEpoch} does nothing there; the tests install one (a hanging
 * epoch for the watchdog and auto-resume) through a service file on their classpath.
 */
public interface FaultInjection {

    /** Called on the driver before an epoch's distributed work starts (0-based). */
    void beforeEpoch(int epoch) throws InterruptedException;

    /** Runs every installed hook. */
    static void beforeEachEpoch(int epoch) throws InterruptedException {
        for (FaultInjection f : Installed.HOOKS) {
            f.beforeEpoch(epoch);
        }
    }

    /** Loaded once per JVM. */
    final class Installed {
        static final List<FaultInjection> HOOKS = ServiceLoader.load(FaultInjection.class).stream().map(ServiceLoader.Provider::get).toList();

        private Installed() {}
    }
}
