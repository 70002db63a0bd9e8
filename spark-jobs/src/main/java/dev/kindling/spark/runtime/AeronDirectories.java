package dev.kindling.spark.runtime;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Kindling's Aeron directories: one per JVM that runs the all-reduce, named with the JVM's pid so that
 * a directory whose process is gone can be told apart. Aeron deletes its directory at a clean exit; a
 * JVM killed with {@code kill -9} leaves it in /dev/shm, which is memory (measured: 33 MB per killed
 * executor JVM). The engine removes those of dead processes whenever it starts one.
 */
public final class AeronDirectories {
    /** Every directory is {@code PREFIX + pid + "-" + random}. */
    public static final String PREFIX = "aeron-kindling-allreduce-";

    /** The directories of {@code HostDriver}s, the media drivers the JVMs of one host share for IPC. */
    public static final String HOST_PREFIX = "aeron-kindling-host-";
    /**
     * The file whose lock a JVM holds while it launches, finds or removes one of its user's shared drivers (per user:
     * another user could not open it for writing).
     */
    public static String hostLock() {
        return "kindling-host-driver-" + user() + ".lock";
    }

    private static String user() {
        return safe(System.getProperty("user.name"));
    }

    /** {@code name} with every character a file name should not carry as {@code _}. */
    private static String safe(String name) {
        return name.replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    /**
     * The directory of the driver shared by the JVMs of {@code scope} (a Spark application) on this host: with the
     * user, the network namespace (a driver sends from its own namespace, and JVMs in others, the scaling bench's,
     * must not share it) and the pid namespace (its launcher's pid must name the same process for every JVM).
     */
    public static String hostShared(String scope) {
        return hostSharedPrefix() + safe(scope);
    }

    /** What the names of this user's shared drivers in this JVM's network and pid namespaces start with. */
    public static String hostSharedPrefix() {
        return HOST_PREFIX + user() + "-" + namespace("net") + "-" + namespace("pid") + "-";
    }

    /** The inode of this process's namespace of {@code kind} ("4026531992"), or "0" where there is no /proc. */
    public static String namespace(String kind) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/" + kind)).toString().replaceAll("[^0-9]", "");
        } catch (IOException | UnsupportedOperationException e) {
            return "0";
        }
    }

    /**
     * Deletes the directories of this user's shared drivers in {@code base} that {@code active} rejects (their driver
     * stopped, or its launcher was killed); the caller holds {@link #hostLock}. Only those of this JVM's namespaces: a
     * launcher's pid means nothing in another pid namespace. Returns how many.
     */
    public static int removeStaleHostShared(File base, Predicate<File> active) {
        File[] dirs = base.listFiles((dir, name) -> name.startsWith(hostSharedPrefix()));
        int removed = 0;
        for (File d : dirs == null ? new File[0] : dirs) {
            if (!active.test(d)) {
                deleteTree(d.toPath());
                removed++;
            }
        }
        return removed;
    }

    /** A new directory name for this JVM. */
    public static String forThisJvm(String random) {
        return PREFIX + ProcessHandle.current().pid() + "-" + random;
    }

    /** Deletes the directories in {@code base} whose process is no longer alive; returns how many. */
    public static int removeOrphans(File base) {
        File[] dirs = base.listFiles((dir, name) -> name.startsWith(PREFIX));
        int removed = 0;
        for (File d : dirs == null ? new File[0] : dirs) {
            long pid = pid(d.getName());
            if (pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                continue;
            }
            if (pid > 0) {
                deleteTree(d.toPath());
                removed++;
            }
        }
        return removed;
    }

    /** The pid in a directory name, or -1 when it has none. */
    static long pid(String name) {
        String rest = name.substring(PREFIX.length());
        int dash = rest.indexOf('-');
        try {
            return Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("removing the orphaned Aeron directory " + root, e);
        }
    }

    private AeronDirectories() {}
}
