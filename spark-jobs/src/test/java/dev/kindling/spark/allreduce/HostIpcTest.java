package dev.kindling.spark.allreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.spark.config.Wire;
import dev.kindling.spark.runtime.AeronDirectories;
import io.aeron.CommonContext;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Workers of one host over Aeron IPC through the media driver they share ({@link HostDriver}), the others over
 * UDP: threads of this JVM, two scopes standing for two hosts (each scope its own shared driver).
 */
class HostIpcTest {
    private static final int WORKERS = 4;
    private static final int LENGTH = 70_001; // several pieces per chunk, chunks of unequal length

    /** Ranks 0, 1 on "host a", 2, 3 on "host b": each shares a driver with one peer and reaches the other two by UDP. */
    private static IntFunction<AeronHost> twoHosts() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        return r -> AeronHost.sharing("127.0.0.1", "test-" + run + (r < 2 ? "-a" : "-b"));
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void theAllToAllOverIpcAndUdpTogetherEndsWithTheBitsOfUdpAlone() throws Exception {
        float[][] inputs = WorkerVectors.of(WORKERS, LENGTH, 5);
        List<float[]> udp = allToAll(inputs, r -> AeronHost.udp("127.0.0.1"), 0);
        List<float[]> mixed = allToAll(inputs, twoHosts(), 1);
        for (int r = 0; r < WORKERS; r++) {
            assertArrayEquals(udp.get(0), mixed.get(r), 0f, "worker " + r + ": every element summed in rank order, however it travelled");
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void halvingOverIpcAndUdpTogetherEndsWithTheBitsOfUdpAlone() throws Exception {
        float[][] inputs = WorkerVectors.of(WORKERS, LENGTH, 6);
        List<float[]> udp = halving(inputs, r -> AeronHost.udp("127.0.0.1"), "halving");
        List<float[]> mixed = halving(inputs, twoHosts(), "halving+ipc");
        for (int r = 0; r < WORKERS; r++) {
            assertArrayEquals(udp.get(0), mixed.get(r), 0f, "worker " + r);
        }
    }

    /** Runs the all-to-all twice on {@code inputs}; checks each worker reaches {@code ipcPeers} peers over IPC. */
    private static List<float[]> allToAll(float[][] inputs, IntFunction<AeronHost> host, int ipcPeers) throws Exception {
        Rendezvous.InProcess exchange = new Rendezvous.InProcess(WORKERS);
        RunToken token = RunToken.random();
        return EachRank.run(WORKERS, r -> {
            try (AeronAllReduce ar = AeronAllReduce.open(r, WORKERS, LENGTH, host.apply(r), exchange.as(r), token, Duration.ofSeconds(30),
                    () -> false)) {
                assertEquals(ipcPeers, ar.ipcPeers(), "worker " + r + ": its peers over IPC");
                assertEquals(ipcPeers > 0 ? "aeron+ipc" : "aeron", ar.transport());
                var v = Nd4j.createFromArray(inputs[r]);
                AllReduce.Totals t = ar.reduce(v, 1, r, Wire.FP32);
                assertEquals(WORKERS, t.samples(), 0.0);
                assertEquals(0 + 1 + 2 + 3, t.lossSum(), 0.0);
                assertEquals(0, ar.foreignFrames());
                return v.toFloatVector();
            }
        });
    }

    private static List<float[]> halving(float[][] inputs, IntFunction<AeronHost> host, String transport) throws Exception {
        Rendezvous.InProcess exchange = new Rendezvous.InProcess(WORKERS);
        RunToken token = RunToken.random();
        return EachRank.run(WORKERS, r -> {
            try (HalvingAllReduce ar = HalvingAllReduce.open(r, WORKERS, LENGTH, host.apply(r), exchange.as(r), token, Duration.ofSeconds(30),
                    () -> false)) {
                assertEquals(transport, ar.transport());
                var v = Nd4j.createFromArray(inputs[r]);
                ar.reduce(v, 1, 0, Wire.BF16);
                return v.toFloatVector();
            }
        });
    }

    @Test
    void oneScopeIsOneDriverAndAnotherScopeAnother() {
        String scope = "test-" + UUID.randomUUID().toString().substring(0, 8);
        HostDriver a = HostDriver.forScope(scope);
        assertEquals(a.id(), HostDriver.forScope(scope).id());
        assertNotEquals(a.id(), HostDriver.forScope(scope + "-other").id());
        File dir = new File(AeronNode.base(), AeronDirectories.hostShared(scope));
        assertTrue(CommonContext.isDriverActive(dir, 10_000, s -> {}), dir + " runs a driver");
        assertTrue(dir.getName().contains("-" + AeronDirectories.namespace("net") + "-" + AeronDirectories.namespace("pid") + "-"),
                "JVMs in other network or pid namespaces never share it: " + dir.getName());
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void whenTheJvmThatLaunchedTheDriverIsKilledTheNextToAskLaunchesANewOneAtOnce() throws Exception {
        String scope = "test-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> a.startsWith("--add-opens")).toList());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), HostDriverLauncher.class.getName(), scope));
        Process launcher = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String line = new BufferedReader(new InputStreamReader(launcher.getInputStream())).readLine();
            assertTrue(line != null && line.startsWith("driver "), "the launcher printed " + line);
            String theirs = line.substring("driver ".length());
            assertEquals(theirs, HostDriver.forScope(scope).id(), "this JVM joins the driver the other launched");
            launcher.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // kill -9: its driver stops with it
            long t0 = System.nanoTime();
            HostDriver next = HostDriver.forScope(scope);
            assertNotEquals(theirs, next.id(), "a new driver, launched here");
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "without waiting out Aeron's 10 s driver timeout");
            // and it carries an all-reduce: two workers on it, over IPC
            Rendezvous.InProcess exchange = new Rendezvous.InProcess(2);
            RunToken token = RunToken.random();
            List<float[]> sums = EachRank.run(2, r -> {
                try (AeronAllReduce ar = AeronAllReduce.open(r, 2, 1000, AeronHost.sharing("127.0.0.1", scope), exchange.as(r), token,
                        Duration.ofSeconds(30), () -> false)) {
                    assertEquals(1, ar.ipcPeers());
                    var v = Nd4j.valueArrayOf(1000L, r + 1f);
                    ar.reduce(v, 1, 0, Wire.FP32);
                    return v.toFloatVector();
                }
            });
            assertEquals(3f, sums.get(0)[999], 0f);
            assertEquals(3f, sums.get(1)[0], 0f);
        } finally {
            launcher.destroyForcibly();
        }
    }

    /** What a JVM killed inside Aeron's launch leaves (CI: a test's child killed -9 as its all-reduce started). */
    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aLaunchKilledBeforeItsDriverWasReadyIsRemovedNotWaitedFor() throws Exception {
        String run = "test-" + UUID.randomUUID().toString().substring(0, 8);
        File killed = new File(AeronNode.base(), AeronDirectories.hostShared(run + "-killed"));
        assertTrue(killed.mkdir());
        try (RandomAccessFile cnc = new RandomAccessFile(new File(killed, "cnc.dat"), "rw")) {
            cnc.setLength(8 << 20); // Aeron's size, all zeros: created, its version never set
        }
        long t0 = System.nanoTime();
        HostDriver driver = HostDriver.forScope(run);
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "not Aeron's 10 s wait for a cnc.dat that will never be ready");
        assertFalse(killed.exists(), killed + " removed as stale");
        assertTrue(CommonContext.isDriverActive(new File(AeronNode.base(), AeronDirectories.hostShared(run)), 10_000, s -> {}), driver.id());
    }

    @Test
    void directoriesOfDeadDriversAreRemovedAndLiveOnesKept(@TempDir Path base) throws Exception {
        String mine = AeronDirectories.hostSharedPrefix();
        Path dead = Files.createDirectories(base.resolve(mine + "app-gone"));
        Files.writeString(dead.resolve("cnc.dat"), "a killed driver's leftovers");
        Path live = Files.createDirectories(base.resolve(mine + "app-running"));
        Path other = Files.createDirectories(base.resolve("aeron-someone-else"));
        Path otherUser = Files.createDirectories(base.resolve(AeronDirectories.HOST_PREFIX + "not" + System.getProperty("user.name") + "-1-2-app"));
        Path otherPidNamespace = Files.createDirectories(base.resolve(mine.replace("-" + AeronDirectories.namespace("pid") + "-", "-1-") + "app"));
        int removed = AeronDirectories.removeStaleHostShared(base.toFile(), d -> d.getName().endsWith("running"));
        assertEquals(1, removed);
        assertFalse(Files.exists(dead));
        assertTrue(Files.exists(live));
        assertTrue(Files.exists(other), "only Kindling's shared drivers' directories are touched");
        assertTrue(Files.exists(otherUser), "and only this user's");
        assertTrue(Files.exists(otherPidNamespace), "and only in this JVM's namespaces (a pid means nothing in another)");
        // and Aeron's own test of liveness rejects a directory with no driver beating in it
        assertFalse(CommonContext.isDriverActive(live.toFile(), 10_000, s -> {}));
    }
}
