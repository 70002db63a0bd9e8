package dev.kindling.core.model;

import dev.kindling.core.config.ConfigException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

/**
 * {@code model.zip}: DL4J's own entries (configuration.json, coefficients.bin, updaterState.bin)
 * plus Kindling's: {@code kindling/config.properties} (the resolved run config),
 * {@code kindling/provenance.json} and {@code kindling/manifest.json} (the training dataset).
 * DL4J's reader ignores the extra entries, so the zip stays a valid DL4J model.
 */
public final class ModelStore {
    public static final String CONFIG_ENTRY = "kindling/config.properties";
    public static final String PROVENANCE_ENTRY = "kindling/provenance.json";
    public static final String MANIFEST_ENTRY = "kindling/manifest.json";

    /** A model read back, with Kindling's entries by name. */
    public record Loaded(ComputationGraph graph, Map<String, byte[]> entries) {
        public String text(String entry) {
            byte[] b = entries.get(entry);
            return b == null ? null : new String(b, StandardCharsets.UTF_8);
        }
    }

    /** The zip's bytes: the DL4J model (with updater state) and the extra entries. */
    public static byte[] toBytes(ComputationGraph graph, Map<String, byte[]> extra) throws IOException {
        ByteArrayOutputStream dl4j = new ByteArrayOutputStream();
        ModelSerializer.writeModel(graph, dl4j, true);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(dl4j.toByteArray()));
             ZipOutputStream zip = new ZipOutputStream(out)) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                zip.putNextEntry(new ZipEntry(e.getName()));
                in.transferTo(zip);
                zip.closeEntry();
            }
            for (Map.Entry<String, byte[]> e : extra.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return out.toByteArray();
    }

    /** Reads a model zip; a file that is not one is an error naming it and the fix. */
    public static Loaded fromBytes(byte[] bytes, String where) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(bytes))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                if (e.getName().startsWith("kindling/")) {
                    entries.put(e.getName(), in.readAllBytes());
                }
            }
        } catch (IOException e) {
            throw corrupt(where, e);
        }
        ComputationGraph graph;
        try {
            graph = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(bytes), true);
        } catch (IOException | RuntimeException e) {
            throw corrupt(where, e);
        }
        return new Loaded(graph, entries);
    }

    public static Loaded read(InputStream in, String where) throws IOException {
        return fromBytes(in.readAllBytes(), where);
    }

    private static ConfigException corrupt(String where, Exception e) {
        return new ConfigException("model-path=" + where + ": not a readable Kindling model zip (" + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage().lines().findFirst().orElse("")) + "); point --model-path at a model.zip written by train");
    }

    private ModelStore() {}
}
