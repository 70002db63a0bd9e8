package dev.kindling.spark.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.spark.config.DistConfig;
import dev.kindling.spark.config.TestSettings;
import java.nio.file.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.nd4j.common.config.ND4JSystemProperties;

/** Each preflight check fails on the condition it exists for, naming the setting to change. */
class PreflightTest {

    @Test
    void sharedMemoryTooSmallForTheMeshIsNamedWithTheFix() {
        Preflight.Check dockerDefault = Preflight.sharedMemory(2, false, p -> 64L << 20);
        assertFalse(dockerDefault.ok());
        assertTrue(dockerDefault.detail().contains("--shm-size") && dockerDefault.detail().contains("aeron.term.buffer.length"),
                dockerDefault.detail());
        assertTrue(Preflight.sharedMemory(2, false, p -> 24L << 30).ok());
        assertTrue(Preflight.sharedMemory(1, true, p -> 128L << 20).ok(), "local mode needs one log only");
    }

    @Test
    void hugeTermBuffersOverflowThisMachinesRealSharedMemory() {
        String before = System.getProperty(ND4JSystemProperties.AERON_TERM_BUFFER_PROP);
        System.setProperty(ND4JSystemProperties.AERON_TERM_BUFFER_PROP, String.valueOf(1L << 30)); // Aeron's maximum
        try {
            Preflight.Check c = Preflight.sharedMemory(8, false, Preflight::usableSpace);
            long free = Preflight.usableSpace(Path.of("/dev/shm"));
            assertFalse(c.ok(), "9 JVMs x 16 logs x 3 GiB cannot fit in " + (free >> 30) + " GiB: " + c.detail());
        } finally {
            if (before == null) {
                System.clearProperty(ND4JSystemProperties.AERON_TERM_BUFFER_PROP);
            } else {
                System.setProperty(ND4JSystemProperties.AERON_TERM_BUFFER_PROP, before);
            }
        }
    }

    @Test
    void loopbackControllerCannotServeExecutorsOnOtherHosts() {
        assertTrue(Preflight.controller("127.0.0.1", "local[2]").ok());
        assertTrue(Preflight.controller("127.0.0.1", "spark://127.0.0.1:39110").ok());
        Preflight.Check remote = Preflight.controller("127.0.0.1", "spark://10.20.30.40:7077");
        assertFalse(remote.ok());
        assertTrue(remote.detail().contains("--controller"), remote.detail());
        Preflight.Check foreign = Preflight.controller("192.0.2.77", "local[2]"); // TEST-NET-1, never this host
        assertFalse(foreign.ok());
    }

    @Test
    void kindlingsMasterRefusesDynamicAllocationNamingTheSetting() {
        DistConfig dense = DistConfig.from(TestSettings.of("dist", "shared"));
        var checks = Preflight.run(dense, "spark://127.0.0.1:7077", 2, 2L << 30, 100_000L, 0, p -> 0L, true);
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.kindling.core.config.ConfigException.class, () -> Preflight.require(checks));
        assertTrue(e.getMessage().contains("spark.dynamicAllocation.enabled=true") && e.getMessage().contains("=false"), e.getMessage());
        assertTrue(checks.stream().noneMatch(c -> c.name().equals("aeron-port")), "DL4J's Aeron checks are the legacy master's");
        Preflight.require(Preflight.run(dense, "spark://127.0.0.1:7077", 2, 2L << 30, 100_000L, 0, p -> 0L, false));
    }

    @Test
    void kindlingsMasterNeedsATaskSlotPerWorkerBeforeTheBarrierStageStarts() {
        DistConfig dense = DistConfig.from(TestSettings.of("dist", "shared"));
        // 3 workers asked for (spark.default.parallelism) on 2 slots: Spark would re-check the barrier stage for 10 minutes
        SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("preflight-slots").set("spark.ui.enabled", "false")
                .set("spark.default.parallelism", "3");
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            long t0 = System.nanoTime();
            var checks = Preflight.sparkChecks(sc, dense, 100_000L, 0, sc.defaultParallelism());
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "a local master's slots are known at once");
            var slots = checks.stream().filter(c -> c.name().equals("task-slots")).findFirst().orElseThrow();
            assertFalse(slots.ok());
            assertTrue(slots.detail().contains("3 workers") && slots.detail().contains("the cluster has 2")
                    && slots.detail().contains("spark.default.parallelism=2"), slots.detail());
            assertTrue(Preflight.sparkChecks(sc, dense, 100_000L, 0, 2).stream().allMatch(Preflight.Check::ok), "2 workers fit 2 slots");
        }
    }

    @Test
    void modelTooLargeForTheExecutorHeapNamesTheSparkSetting() {
        Preflight.Check big = Preflight.memory(200_000_000L, 0, 2L << 30, true);
        assertFalse(big.ok());
        assertTrue(big.detail().contains("spark.executor.memory"), big.detail());
        assertTrue(Preflight.memory(235_658L, 0, 2L << 30, true).ok());
    }

    @Test
    void keptShardsCountAgainstTheExecutorHeapAndTheFixNamesTheCacheKey() {
        long model = 10_000_000L;   // 191 MiB of fp32 state with the shared master, 381 MiB with its margin
        Preflight.Check fits = Preflight.memory(model, 100L << 20, 1L << 30, true);
        assertTrue(fits.ok(), fits.detail());
        assertTrue(fits.detail().contains("100 MiB of kept shards"), fits.detail());
        Preflight.Check over = Preflight.memory(model, 700L << 20, 1L << 30, true);
        assertFalse(over.ok(), "400 MiB of model and 700 MiB of shards in a 1,024 MiB heap");
        assertTrue(over.detail().contains("--data-cache-mb") && over.detail().contains("spark.executor.memory"), over.detail());
    }

    @Test
    void everyFailedCheckIsListedInOneMessage() {
        var checks = Preflight.run(DistConfig.from(TestSettings.of("dist", "shared", "encoding", "threshold")), "spark://10.20.30.40:7077", 2,
                1L << 20, 100_000_000L, 0, p -> 0L, false);
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.kindling.core.config.ConfigException.class,
                () -> Preflight.require(checks));
        assertTrue(e.getMessage().contains("shared-memory") && e.getMessage().contains("controller")
                && e.getMessage().contains("executor-memory"), e.getMessage());
    }
}
