package dev.kindling.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** {@link Storage} on the local file system, for plain paths and {@code file:} URIs. */
public final class LocalStorage implements Storage {

    public static Path toPath(String uri) {
        if (uri.startsWith("file:")) {
            return Path.of(URI.create(uri));
        }
        if (uri.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
            throw new IllegalArgumentException("uri=" + uri + ": not a local path; this storage reads file: URIs and paths only");
        }
        return Path.of(uri);
    }

    @Override
    public InputStream open(String uri) throws IOException {
        return Files.newInputStream(toPath(uri));
    }

    @Override
    public OutputStream create(String uri) throws IOException {
        Path p = toPath(uri);
        if (p.getParent() != null) {
            Files.createDirectories(p.getParent());
        }
        return Files.newOutputStream(p);
    }

    @Override
    public boolean exists(String uri) {
        return Files.exists(toPath(uri));
    }

    @Override
    public void rename(String from, String to) throws IOException {
        Path target = toPath(to);
        if (Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString());
        }
        Files.move(toPath(from), target);
    }

    @Override
    public java.util.List<String> list(String dir) throws IOException {
        Path p = toPath(dir);
        if (!Files.isDirectory(p)) {
            return java.util.List.of();
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.map(q -> q.getFileName().toString()).sorted().toList();
        }
    }

    @Override
    public void delete(String uri) throws IOException {
        Path p = toPath(uri);
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
