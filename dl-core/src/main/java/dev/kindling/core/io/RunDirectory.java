package dev.kindling.core.io;

import dev.kindling.core.config.ConfigException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

/**
 * A run directory appears whole or not at all: its files are written to a temporary sibling,
 * which is then renamed to the final name. An existing run directory is never overwritten.
 */
public final class RunDirectory {

    /** Fails fast, before any work, when {@code out} is already taken. */
    public static void checkAbsent(Storage storage, String out) throws IOException {
        if (storage.exists(out)) {
            throw new ConfigException("out=" + out + ": already exists; runs are never overwritten, choose a new --out");
        }
    }

    /** Writes {@code files} (relative name to bytes) and publishes them as {@code out}. */
    public static void publish(Storage storage, String out, Map<String, byte[]> files) throws IOException {
        checkAbsent(storage, out);
        String tmp = out + ".tmp-" + Long.toHexString(System.nanoTime());
        try {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                try (OutputStream os = storage.create(storage.child(tmp, f.getKey()))) {
                    os.write(f.getValue());
                }
            }
            storage.rename(tmp, out);
        } catch (IOException | RuntimeException e) {
            storage.delete(tmp);
            throw e;
        }
    }

    /** Adds {@code files} to a staging directory that already holds a run's checkpoints, then publishes it. */
    public static void publishFrom(Storage storage, String staging, String out, Map<String, byte[]> files) throws IOException {
        checkAbsent(storage, out);
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            try (OutputStream os = storage.create(storage.child(staging, f.getKey()))) {
                os.write(f.getValue());
            }
        }
        storage.rename(staging, out);
    }

    /** Where a run lives until it finishes: its checkpoints, then everything it publishes. */
    public static String staging(String out) {
        return out + ".partial";
    }

    private RunDirectory() {}
}
