package dev.kindling.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The file operations Kindling needs, on any URI its implementation understands. dl-core has
 * {@link LocalStorage}; spark-jobs has a Hadoop one (file://, hdfs://, and any Hadoop file system).
 * Writers that must never leave half a file write to a temporary name and {@link #rename} it.
 */
public interface Storage {
    InputStream open(String uri) throws IOException;

    /** Creates or overwrites a file, creating parent directories. */
    OutputStream create(String uri) throws IOException;

    boolean exists(String uri) throws IOException;

    /** Renames a file or directory; fails if {@code to} exists. */
    void rename(String from, String to) throws IOException;

    /** Deletes a file or a directory tree; no error if absent. */
    void delete(String uri) throws IOException;

    /** Names (not paths) of a directory's entries; empty when it does not exist. */
    java.util.List<String> list(String dir) throws IOException;

    /** {@code base/child}, in this storage's URI syntax. */
    default String child(String base, String child) {
        return base.endsWith("/") ? base + child : base + "/" + child;
    }

    /**
     * Writes a whole small file in place of {@code uri}'s old content: to {@code uri.tmp} first, then
     * renamed, so a reader finds the old file, the new one or (for the moment between) none, never half.
     */
    default void replace(String uri, byte[] content) throws IOException {
        String tmp = uri + ".tmp";
        try (OutputStream os = create(tmp)) {
            os.write(content);
        }
        delete(uri);
        rename(tmp, uri);
    }

    /** Reads a whole small file. */
    default byte[] readAll(String uri) throws IOException {
        try (InputStream in = open(uri)) {
            return in.readAllBytes();
        }
    }
}
