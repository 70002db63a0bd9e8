package dev.kindling.core.model;

import dev.kindling.core.io.InputException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
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
    /** {@code format}, {@code architecture} and {@code architecture-version}: checked on every load. */
    public static final String MODEL_ENTRY = "kindling/model.properties";
    public static final int FORMAT = 1;

    /** A model read back, with its architecture and Kindling's entries by name. */
    public record Loaded(ComputationGraph graph, Architecture architecture, Map<String, byte[]> entries) {
        public String text(String entry) {
            byte[] b = entries.get(entry);
            return b == null ? null : new String(b, StandardCharsets.UTF_8);
        }
    }

    /** The zip's bytes: the DL4J model (with updater state), what architecture it is, and the extra entries. */
    public static byte[] toBytes(ComputationGraph graph, Architecture architecture, Map<String, byte[]> extra) throws IOException {
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
            zip.putNextEntry(new ZipEntry(MODEL_ENTRY));
            zip.write(("format=" + FORMAT + "\narchitecture=" + architecture.cliName() + "\narchitecture-version="
                    + architecture.version() + "\n").getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
            for (Map.Entry<String, byte[]> e : extra.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return out.toByteArray();
    }

    /**
     * Reads a model zip; a file that is not one, or one of another format or architecture version, is
     * an error naming it and the fix.
     */
    public static Loaded fromBytes(byte[] bytes, String where) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        boolean dl4jConfiguration = false;
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(bytes))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                byte[] content = in.readAllBytes(); // reads every entry, so a truncated zip fails here
                if (e.getName().startsWith("kindling/")) {
                    entries.put(e.getName(), content);
                }
                dl4jConfiguration |= e.getName().equals("configuration.json");
            }
        } catch (IOException e) {
            throw corrupt(where, e);
        }
        if (!dl4jConfiguration) {
            throw corrupt(where, new IOException("no configuration.json entry"));
        }
        Architecture architecture = architecture(entries.get(MODEL_ENTRY), where);
        ComputationGraph graph;
        try {
            graph = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(bytes), true);
        } catch (IOException | RuntimeException e) {
            throw corrupt(where, e);
        }
        return new Loaded(graph, architecture, entries);
    }

    private static Architecture architecture(byte[] entry, String where) {
        if (entry == null) {
            throw new InputException("model-path=" + where + ": has no " + MODEL_ENTRY + ", so kindling train did not write it; retrain it with Kindling");
        }
        Properties p = new Properties();
        try {
            p.load(new StringReader(new String(entry, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw corrupt(where, e);
        }
        if (!String.valueOf(FORMAT).equals(p.getProperty("format"))) {
            throw new InputException("model-path=" + where + ": model format " + p.getProperty("format") + ", this Kindling reads " + FORMAT + "; retrain it or use the Kindling that wrote it");
        }
        String name = p.getProperty("architecture", "");
        Architecture a = java.util.Arrays.stream(Architecture.values()).filter(x -> x.cliName().equals(name)).findFirst()
                .orElseThrow(() -> new InputException("model-path=" + where + ": architecture '" + name + "' is unknown to this Kindling (it knows " + Architecture.names() + ")"));
        String version = p.getProperty("architecture-version");
        if (!String.valueOf(a.version()).equals(version)) {
            throw new InputException("model-path=" + where + ": " + name + " architecture version " + version + ", this Kindling builds version "
                    + a.version() + "; retrain it or use the Kindling that wrote it");
        }
        return a;
    }

    private static InputException corrupt(String where, Exception e) {
        return new InputException("model-path=" + where + ": not a readable Kindling model zip (" + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage().lines().findFirst().orElse("")) + "); point --model-path at a model.zip written by train", e);
    }

    private ModelStore() {}
}
