package dev.kindling.spark.allreduce;

import dev.kindling.spark.runtime.AeronDirectories;
import dev.kindling.spark.runtime.AeronTraffic;
import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import java.io.File;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.UUID;
import org.agrona.concurrent.BackoffIdleStrategy;

/**
 * One embedded media driver and client per JVM, started on first use: its own directory (named
 * aeron-*, so {@link AeronTraffic} counts its bytes; with the JVM's pid, {@link AeronDirectories})
 * deleted at exit, those of killed JVMs deleted when the next one starts, one shared thread that backs
 * off to sleeping when idle, so that it does not take a core from training.
 */
final class AeronNode {
    /**
     * Each publication's term, and so each peer's image on the receiver (Aeron keeps 3 terms of each):
     * the least that carries a piece ({@link Frame#PIECE_FLOATS} floats and a header) as one message,
     * which Aeron allows up to an eighth of a term. What is in flight is bounded by the receiver window
     * (at most 128 KiB), so larger terms only cost memory: with 4 MiB terms a worker's logs took 24 MB
     * per peer (the scaling bench: 198 MB at 8 workers, which would be 12 GB at 512).
     */
    static final int TERM_LENGTH = 1024 * 1024;
    /** The largest Aeron frame the all-reduce uses (on loopback: larger measured no faster). */
    static final int LOOPBACK_MTU = 32 * 1024;
    private static final int FRAME_ALIGNMENT = 32;
    /** Below Aeron's default (1,408) nothing is gained: keep the default instead. */
    private static final int MIN_MTU = 1408;
    private static Aeron aeron;

    /**
     * The largest frame of an IPC publication ({@link HostDriver}): Aeron's most (64 KiB less 32 bytes), so a piece
     * ({@link Frame#PIECE_FLOATS} floats and a header) travels in two frames rather than 47 of the default 1,408 bytes.
     */
    static final int IPC_MTU = 65_504;

    /** Where Aeron directories go: /dev/shm (memory) where there is one, else the temporary directory. */
    static File base() {
        return AeronTraffic.SHM.isDirectory() ? AeronTraffic.SHM : new File(System.getProperty("java.io.tmpdir"));
    }

    static synchronized Aeron aeron() {
        if (aeron == null) {
            File base = base();
            AeronDirectories.removeOrphans(base); // left by JVMs killed before they could delete their own
            String dir = new File(base, AeronDirectories.forThisJvm(UUID.randomUUID().toString().substring(0, 8))).getPath();
            MediaDriver driver = MediaDriver.launchEmbedded(new MediaDriver.Context()
                    .aeronDirectoryName(dir)
                    .threadingMode(ThreadingMode.SHARED)
                    .sharedIdleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000))
                    .publicationTermBufferLength(TERM_LENGTH)
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
     * The socket receive buffer each all-reduce asks for. The kernel's default (212,992 bytes, charged
     * with each datagram's overhead: about 100 KB of 1,408-byte frames) is smaller than one peer's
     * Aeron window (128 KiB): measured between network namespaces (scripts/bench/scaling.sh), 10% of a
     * receiver's datagrams were dropped (RcvbufErrors) and had to be resent after NAKs; with this buffer,
     * none. The kernel grants at most {@code net.core.rmem_max}.
     */
    static final int RECEIVE_BUFFER = 4 * 1024 * 1024;
    /** Aeron's default receiver window, the most any one peer may have in flight. */
    private static final int MAX_WINDOW = 128 * 1024;
    private static final int MIN_WINDOW = 16 * 1024;

    /**
     * The subscription every peer sends to, on an ephemeral port of {@code host}: its receive buffer,
     * and each peer's window sized so that all {@code peers} windows, with the kernel's per-datagram
     * overhead (about 2x), fit in it: with many peers each sends less ahead, rather than all
     * overflowing the buffer at once.
     */
    static String subscriptionChannel(String host, int peers) {
        int window = MAX_WINDOW;
        while (window > MIN_WINDOW && 2L * window * Math.max(1, peers) > RECEIVE_BUFFER) {
            window /= 2;
        }
        return "aeron:udp?endpoint=" + host + ":0|so-rcvbuf=" + RECEIVE_BUFFER + "|rcv-wnd=" + window;
    }

    /**
     * The UDP channel to a peer, with Aeron frames of {@code mtu} bytes (0: Aeron's default).
     */
    static String channel(String endpoint, int mtu) {
        return "aeron:udp?endpoint=" + endpoint + (mtu > 0 ? "|mtu=" + mtu : "");
    }

    /**
     * The Aeron MTU for the interface of {@code host}, or 0 for Aeron's default: frames as large as one
     * IP packet of that interface (IP and UDP headers off, a multiple of Aeron's 32-byte frame alignment),
     * at most {@link #LOOPBACK_MTU}. Each frame costs a send and a receive system call: measured here
     * ({@code StepBench allreduce}, 2 workers, 4.88M floats over loopback), 122 ms per call with Aeron's
     * default 1,408-byte MTU, 53 ms with 8 KiB, 40 ms with 32 KiB, 43 ms with 64 KiB; between network
     * namespaces (scripts/bench/scaling.sh) a 9,000-byte link MTU makes frames of 8,960 bytes. An
     * Ethernet link of 1,500 gives 1,472 (never IP-fragmented); an interface that cannot be read keeps
     * Aeron's default.
     */
    static int frameMtu(String host) {
        try {
            InetAddress address = InetAddress.getByName(host);
            NetworkInterface nic = NetworkInterface.getByInetAddress(address);
            if (nic == null) {
                return address.isLoopbackAddress() ? LOOPBACK_MTU : 0;
            }
            int ipHeaders = address instanceof Inet6Address ? 48 : 28;
            int mtu = Math.min(LOOPBACK_MTU, nic.getMTU() - ipHeaders) / FRAME_ALIGNMENT * FRAME_ALIGNMENT;
            return mtu >= MIN_MTU ? mtu : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private AeronNode() {}
}
