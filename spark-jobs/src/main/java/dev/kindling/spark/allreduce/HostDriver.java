package dev.kindling.spark.allreduce;

import dev.kindling.spark.runtime.AeronDirectories;
import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.exceptions.DriverTimeoutException;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The media driver the JVMs of one host share for Aeron IPC: workers on one host exchange through memory
 * mapped log buffers in it, with no system call per frame, where UDP over loopback costs a send and a
 * receive per 32 KiB frame. One per scope (a Spark application) per host: the first JVM to ask launches it,
 * under a file lock, in a directory named by the scope ({@link AeronDirectories#hostShared}); the others
 * connect to it as clients. Two JVMs share it only when they see the same directory (one /dev/shm) and are in
 * the same network and pid namespaces (the name carries both). Its {@link #id} is a random name the launcher writes
 * into the directory: two workers that read the same id share a driver, and so can reach each other over
 * IPC; on another host, or in another container, the id differs and they keep to UDP.
 *
 * <p>It carries IPC only: each JVM's UDP stays on its own driver ({@link AeronNode}), so that one JVM's
 * driver thread does not send every executor's network traffic. The launcher's driver lives as long as its
 * JVM. A driver counts as alive while its heartbeat is fresh and its launcher's process runs (the id file holds
 * the pid; the directory's name holds the pid namespace, so the pid means the same process to every JVM that
 * reads it): a launcher killed with its executor is noticed at once, not after Aeron's 10 s timeout, and the next
 * JVM to ask launches a new driver in its place.
 */
final class HostDriver {
    /** How long a driver may miss its heartbeat before another JVM takes its directory over (Aeron's default). */
    private static final long DRIVER_TIMEOUT_MS = 10_000;
    /** The file in the directory that holds the driver's id. */
    private static final String ID_FILE = "kindling-host-driver-id";
    private static final Map<String, HostDriver> BY_SCOPE = new HashMap<>();
    private static final Logger LOG = LoggerFactory.getLogger(HostDriver.class);

    private final Aeron aeron;
    private final String id;
    private final long launcherPid;

    private HostDriver(Aeron aeron, String id, long launcherPid) {
        this.aeron = aeron;
        this.id = id;
        this.launcherPid = launcherPid;
    }

    /** The client of this host's driver for {@code scope}, launching the driver if no JVM of the host runs it. */
    static synchronized HostDriver forScope(String scope) {
        HostDriver known = BY_SCOPE.get(scope);
        if (known != null && !known.aeron.isClosed() && running(known.launcherPid)) {
            return known;
        }
        if (known != null) {
            known.aeron.close(); // its driver is gone: the all-reduces on it failed with it
        }
        File base = AeronNode.base();
        File dir = new File(base, AeronDirectories.hostShared(scope));
        try (FileChannel lockFile = FileChannel.open(new File(base, AeronDirectories.hostLock()).toPath(), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
            AeronDirectories.removeStaleHostShared(base, HostDriver::alive);
            MediaDriver launched = alive(dir) ? null : launch(dir);
            // Aeron's default handler exits the JVM when the driver stops answering: here that is another executor's
            // driver, gone with its JVM; this executor's all-reduce fails by its own stall and the next one relaunches
            Aeron client = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir.getPath())
                    .errorHandler(e -> LOG.warn("Aeron IPC: the host's media driver in {}: {}", dir, e.toString())));
            String[] idAndPid = readId(dir);
            HostDriver driver = new HostDriver(client, idAndPid[0], Long.parseLong(idAndPid[1]));
            MediaDriver owned = launched;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                client.close();
                if (owned != null) {
                    owned.close();
                }
            }, "kindling-host-driver-shutdown"));
            BY_SCOPE.put(scope, driver);
            return driver;
        } catch (IOException e) {
            throw new UncheckedIOException("Aeron IPC: could not share a media driver in " + dir
                    + "; run with --host-ipc=false to keep every JVM on UDP", e);
        }
    }

    /**
     * Whether a driver runs in {@code dir}: the JVM that launched it is alive and its heartbeat is fresh. The launcher
     * writes the id file last, under the lock, so a directory without one is a launch that never finished (its JVM
     * killed between Aeron creating cnc.dat and marking it ready): stale, and judged so without Aeron's check, which
     * waits 10 s on such a cnc.dat and then throws (it did, for every later executor of the host, in CI).
     */
    private static boolean alive(File dir) {
        long pid;
        try {
            pid = Long.parseLong(readId(dir)[1]);
        } catch (IOException | RuntimeException e) {
            return false;
        }
        if (!running(pid)) {
            return false;
        }
        try {
            return CommonContext.isDriverActive(dir, DRIVER_TIMEOUT_MS, s -> {});
        } catch (DriverTimeoutException e) {
            return false; // cnc.dat never made ready, and its pid is now another process's
        }
    }

    private static boolean running(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The id file's two words: the driver's id and its launcher's pid. */
    private static String[] readId(File dir) throws IOException {
        String[] words = Files.readString(new File(dir, ID_FILE).toPath()).strip().split(" ");
        if (words.length != 2) {
            throw new IOException(new File(dir, ID_FILE) + ": expected '<id> <pid>', found " + String.join(" ", words));
        }
        return words;
    }

    /** Launches the driver in {@code dir} (a stale one there is deleted first) and writes its id, atomically. */
    private static MediaDriver launch(File dir) throws IOException {
        MediaDriver driver = MediaDriver.launchEmbedded(new MediaDriver.Context()
                .aeronDirectoryName(dir.getPath())
                .threadingMode(ThreadingMode.SHARED)
                .sharedIdleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000))
                .ipcTermBufferLength(AeronNode.TERM_LENGTH)
                .ipcMtuLength(AeronNode.IPC_MTU)
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true));
        File tmp = new File(dir, ID_FILE + ".tmp");
        Files.writeString(tmp.toPath(), UUID.randomUUID() + " " + ProcessHandle.current().pid());
        Files.move(tmp.toPath(), new File(dir, ID_FILE).toPath(), StandardCopyOption.ATOMIC_MOVE);
        return driver;
    }

    Aeron aeron() {
        return aeron;
    }

    /** The driver's random name: equal for exactly the JVMs that share it. */
    String id() {
        return id;
    }
}
