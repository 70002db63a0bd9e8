package dev.kindling.spark.allreduce;

import dev.kindling.spark.runtime.AeronDirectories;
import dev.kindling.spark.runtime.AeronTraffic;
import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import java.io.File;
import java.util.UUID;
import org.agrona.concurrent.BackoffIdleStrategy;

/**
 * One embedded media driver and client per JVM, started on first use: its own directory (named
 * aeron-*, so {@link AeronTraffic} counts its bytes; with the JVM's pid, {@link AeronDirectories})
 * deleted at exit, those of killed JVMs deleted when the next one starts, one shared thread that backs
 * off to sleeping when idle, so that it does not take a core from training.
 */
final class AeronNode {
    static final int LOOPBACK_MTU = 32 * 1024;
    private static Aeron aeron;

    static synchronized Aeron aeron() {
        if (aeron == null) {
            File base = AeronTraffic.SHM.isDirectory() ? AeronTraffic.SHM : new File(System.getProperty("java.io.tmpdir"));
            AeronDirectories.removeOrphans(base); // left by JVMs killed before they could delete their own
            String dir = new File(base, AeronDirectories.forThisJvm(UUID.randomUUID().toString().substring(0, 8))).getPath();
            MediaDriver driver = MediaDriver.launchEmbedded(new MediaDriver.Context()
                    .aeronDirectoryName(dir)
                    .threadingMode(ThreadingMode.SHARED)
                    .sharedIdleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000))
                    .publicationTermBufferLength(4 * 1024 * 1024)
                    .dirDeleteOnStart(true)
                    .dirDeleteOnShutdown(true));
            Aeron client = Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName()));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                client.close();
                driver.close();
            }, "kindling-allreduce-aeron-shutdown"));
            aeron = client;
        }
        return aeron;
    }

    /**
     * The UDP channel to a peer. To a loopback address (local[N], or executors bound to 127.0.0.1)
     * Aeron's frames can be as large as a UDP datagram: measured here ({@code StepBench allreduce},
     * 2 workers, 4.88M floats), 122 ms per call with Aeron's default 1,408-byte MTU, 53 ms with
     * 8 KiB, 40 ms with 32 KiB, 43 ms with 64 KiB. To other addresses the default stays (it fits an
     * Ethernet frame; larger frames would be IP-fragmented).
     */
    static String channel(String endpoint) {
        String host = endpoint.substring(0, endpoint.lastIndexOf(':'));
        boolean loopback;
        try {
            loopback = java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            loopback = false;
        }
        return "aeron:udp?endpoint=" + endpoint + (loopback ? "|mtu=" + LOOPBACK_MTU : "");
    }

    private AeronNode() {}
}
