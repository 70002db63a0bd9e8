package dev.kindling.core.model;

import static org.deeplearning4j.util.ModelSerializer.COEFFICIENTS_BIN;
import static org.deeplearning4j.util.ModelSerializer.CONFIGURATION_JSON;
import static org.deeplearning4j.util.ModelSerializer.NO_PARAMS_MARKER;
import static org.deeplearning4j.util.ModelSerializer.UPDATER_BIN;

import dev.kindling.core.data.ArrayWriter;
import dev.kindling.core.data.ShardDecoder;
import dev.kindling.core.io.InputException;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

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
        ByteArrayOutputStream out = new ByteArrayOutputStream(sizeHint(graph.params()) + sizeHint(updaterState(graph)) + (1 << 20));
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            putDl4jEntries(graph, zip);
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
     * Writes {@code graph} as a DL4J model zip (with its updater state) that DL4J's {@code ModelSerializer} reads.
     */
    public static void writeDl4jModel(ComputationGraph graph, OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        putDl4jEntries(graph, zip);
        zip.finish();
    }

    /**
     * DL4J's entries, as its {@code ModelSerializer.writeModel} names and encodes them, but the parameter and
     * updater arrays stored uncompressed and encoded in bulk ({@link ArrayWriter}): trained floats deflate by
     * ~13%, at ~20 MB/s (a ResNet50 with Adam's state, 275 MB, took 12 s in DL4J's writer and 26-30 s when
     * Kindling then re-deflated the zip).
     */
    private static void putDl4jEntries(ComputationGraph graph, ZipOutputStream zip) throws IOException {
        zip.putNextEntry(new ZipEntry(CONFIGURATION_JSON));
        zip.write(graph.getConfiguration().toJson().getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
        INDArray params = graph.params();
        if (params == null) {
            zip.putNextEntry(new ZipEntry(NO_PARAMS_MARKER));
            zip.closeEntry();
        } else {
            putStored(zip, COEFFICIENTS_BIN, params);
        }
        INDArray updaterState = updaterState(graph);
        if (updaterState != null && updaterState.length() > 0) {
            putStored(zip, UPDATER_BIN, updaterState);
        }
    }

    private static INDArray updaterState(ComputationGraph graph) {
        return graph.getUpdater() == null ? null : graph.getUpdater().getStateViewArray();
    }

    /**
     * Bytes to reserve for an array's encoding (its elements and a header), so that a buffer of hundreds of MB
     * is not grown by doubling: growing cost more than encoding (3.6 s against 0.4 s for a ResNet50's 275 MB).
     */
    private static int sizeHint(INDArray array) {
        return array == null ? 0 : (int) Math.min(Integer.MAX_VALUE - (1 << 21), array.length() * array.dataType().width() + 4096);
    }

    /** {@code array} in ND4J's binary format as an uncompressed entry (which needs its size and CRC up front). */
    private static void putStored(ZipOutputStream zip, String name, INDArray array) throws IOException {
        Encoded bytes = new Encoded(sizeHint(array));
        try (DataOutputStream data = new DataOutputStream(new BufferedOutputStream(bytes, 1 << 16))) {
            ArrayWriter.write(array, data);
        }
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(bytes.size());
        e.setCompressedSize(bytes.size());
        e.setCrc(bytes.crc());
        zip.putNextEntry(e);
        bytes.writeTo(zip);
        zip.closeEntry();
    }

    /** An encoded array's bytes and their CRC, without copying them out first. */
    private static final class Encoded extends ByteArrayOutputStream {
        Encoded(int size) {
            super(size);
        }

        long crc() {
            CRC32 crc = new CRC32();
            crc.update(buf, 0, count);
            return crc.getValue();
        }
    }

    /**
     * Reads a model zip; a file that is not one, or one of another format or architecture version, is
     * an error naming it and the fix.
     */
    public static Loaded fromBytes(byte[] bytes, String where) {
        Map<String, byte[]> entries = entries(bytes, where);
        Architecture architecture = architecture(entries.get(MODEL_ENTRY), where);
        ComputationGraph graph = restore(entries, where);
        entries.keySet().removeIf(name -> !name.startsWith("kindling/"));
        return new Loaded(graph, architecture, entries);
    }

    /** A DL4J model zip's graph with its updater state (a checkpoint's {@code model.zip}); errors as {@link #fromBytes}'s. */
    public static ComputationGraph readDl4jModel(byte[] bytes, String where) {
        return restore(entries(bytes, where), where);
    }

    /** Every entry of a zip by name; reads each whole, so a truncated zip fails here. */
    private static Map<String, byte[]> entries(byte[] bytes, String where) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(bytes))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                entries.put(e.getName(), in.readAllBytes());
            }
        } catch (IOException e) {
            throw corrupt(where, e);
        }
        if (!entries.containsKey(CONFIGURATION_JSON)) {
            throw corrupt(where, new IOException("no " + CONFIGURATION_JSON + " entry"));
        }
        return entries;
    }

    /**
     * The graph from DL4J's entries, as {@code ModelSerializer.restoreComputationGraph} builds it (configuration,
     * its data type set from the parameters', parameters, updater state), the arrays decoded in bulk
     * ({@link ShardDecoder#decodeArray}): DL4J reads them one {@code readFloat} at a time.
     */
    private static ComputationGraph restore(Map<String, byte[]> dl4j, String where) {
        try {
            ComputationGraphConfiguration conf = ComputationGraphConfiguration.fromJson(new String(dl4j.get(CONFIGURATION_JSON), StandardCharsets.UTF_8));
            byte[] coefficients = dl4j.get(COEFFICIENTS_BIN);
            INDArray params = coefficients == null ? null : ShardDecoder.decodeArray(coefficients, COEFFICIENTS_BIN);
            if (params != null) {
                conf.setDataType(params.dataType());
            }
            ComputationGraph graph = new ComputationGraph(conf);
            graph.init(params, false);
            byte[] updater = dl4j.get(UPDATER_BIN);
            if (updater != null) {
                graph.getUpdater().setStateViewArray(ShardDecoder.decodeArray(updater, UPDATER_BIN));
            }
            return graph;
        } catch (RuntimeException e) { // ShardDecoder.Malformed among them
            throw corrupt(where, e);
        }
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
