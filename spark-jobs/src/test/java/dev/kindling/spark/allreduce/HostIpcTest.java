package dev.kindling.spark.allreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.spark.config.Wire;
import dev.kindling.spark.runtime.AeronDirectories;
import io.aeron.CommonContext;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
        assertTrue(dir.getName().contains("-" + AeronDirectories.networkNamespace() + "-"),
                "JVMs in other network namespaces never share it: " + dir.getName());
    }

    @Test
    void directoriesOfDeadDriversAreRemovedAndLiveOnesKept(@TempDir Path base) throws Exception {
        String mine = AeronDirectories.HOST_PREFIX + System.getProperty("user.name") + "-";
        Path dead = Files.createDirectories(base.resolve(mine + "1-app-gone"));
        Files.writeString(dead.resolve("cnc.dat"), "a killed driver's leftovers");
        Path live = Files.createDirectories(base.resolve(mine + "1-app-running"));
        Path other = Files.createDirectories(base.resolve("aeron-someone-else"));
        Path otherUser = Files.createDirectories(base.resolve(AeronDirectories.HOST_PREFIX + "not" + System.getProperty("user.name") + "-1-app"));
        int removed = AeronDirectories.removeStaleHostShared(base.toFile(), d -> d.getName().endsWith("running"));
        assertEquals(1, removed);
        assertFalse(Files.exists(dead));
        assertTrue(Files.exists(live));
        assertTrue(Files.exists(other), "only Kindling's shared drivers' directories are touched");
        assertTrue(Files.exists(otherUser), "and only this user's");
        // and Aeron's own test of liveness rejects a directory with no driver beating in it
        assertFalse(CommonContext.isDriverActive(live.toFile(), 10_000, s -> {}));
    }
}
