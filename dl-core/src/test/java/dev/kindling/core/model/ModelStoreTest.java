package dev.kindling.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.io.InputException;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Kindling writes DL4J's model entries itself (arrays uncompressed, encoded in bulk) and reads them itself:
 * what it writes DL4J reads, what DL4J wrote (models saved before) Kindling reads, parameters and updater state equal.
 */
class ModelStoreTest {

    /** A tiny MLP after two AdamW steps: its updater state is not zero. */
    private static ComputationGraph trained() {
        ComputationGraph g = new ComputationGraph(Mlp.configure(Mlp.Spec.tiny(), NetDefaults.adamW(3, DataType.FLOAT, CosineAnnealing.tutorial(), 1e-4)));
        g.init();
        Nd4j.getRandom().setSeed(5);
        int classes = (int) g.getLayer(g.getConfiguration().getNetworkOutputs().get(0)).getParam("b").length();
        DataSet d = new DataSet(Nd4j.rand(DataType.FLOAT, 8, Mlp.Spec.tiny().inputs()), Nd4j.eye(classes).getRows(0, 1, 0, 1, 0, 1, 0, 1).castTo(DataType.FLOAT));
        g.fit(d);
        g.fit(d);
        return g;
    }

    private static void assertSameState(ComputationGraph expected, ComputationGraph actual) {
        assertEquals(expected.params(), actual.params());
        assertTrue(expected.getUpdater().getStateViewArray().amaxNumber().doubleValue() > 0, "the updater state is not zero");
        assertEquals(expected.getUpdater().getStateViewArray(), actual.getUpdater().getStateViewArray());
        assertEquals(expected.getConfiguration().toJson(), actual.getConfiguration().toJson());
    }

    private static Map<String, ZipEntry> entries(byte[] zip) throws Exception {
        Map<String, ZipEntry> out = new HashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                out.put(e.getName(), e);
            }
        }
        return out;
    }

    @Test
    void dl4jReadsWhatKindlingWritesAndTheArraysAreStoredUncompressed() throws Exception {
        ComputationGraph g = trained();
        byte[] zip = ModelStore.toBytes(g, Architecture.MLP, Map.of(ModelStore.CONFIG_ENTRY, "model=mlp\n".getBytes(StandardCharsets.UTF_8)));
        assertSameState(g, ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(zip), true));
        ModelStore.Loaded back = ModelStore.fromBytes(zip, "memory");
        assertSameState(g, back.graph());
        assertEquals(Map.of(ModelStore.CONFIG_ENTRY, "model=mlp\n", ModelStore.MODEL_ENTRY, "format=1\narchitecture=mlp\narchitecture-version=1\n"),
                Map.of(ModelStore.CONFIG_ENTRY, back.text(ModelStore.CONFIG_ENTRY), ModelStore.MODEL_ENTRY, back.text(ModelStore.MODEL_ENTRY)));
        Map<String, ZipEntry> e = entries(zip);
        assertEquals(ZipEntry.STORED, e.get(ModelSerializer.COEFFICIENTS_BIN).getMethod());
        assertEquals(ZipEntry.STORED, e.get(ModelSerializer.UPDATER_BIN).getMethod());

        ByteArrayOutputStream checkpoint = new ByteArrayOutputStream();
        ModelStore.writeDl4jModel(g, checkpoint);
        assertSameState(g, ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(checkpoint.toByteArray()), true));
        assertSameState(g, ModelStore.readDl4jModel(checkpoint.toByteArray(), "memory"));
    }

    /** A model.zip as Kindling wrote it before (DL4J's writer, every entry deflated) still loads. */
    @Test
    void modelsDl4jsWriterWroteStillLoad() throws Exception {
        ComputationGraph g = trained();
        ByteArrayOutputStream dl4j = new ByteArrayOutputStream();
        ModelSerializer.writeModel(g, dl4j, true);
        ByteArrayOutputStream old = new ByteArrayOutputStream();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(dl4j.toByteArray()));
             ZipOutputStream out = new ZipOutputStream(old)) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                out.putNextEntry(new ZipEntry(e.getName()));
                in.transferTo(out);
                out.closeEntry();
            }
            out.putNextEntry(new ZipEntry(ModelStore.MODEL_ENTRY));
            out.write("format=1\narchitecture=mlp\narchitecture-version=1\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        assertEquals(ZipEntry.DEFLATED, entries(old.toByteArray()).get(ModelSerializer.COEFFICIENTS_BIN).getMethod());
        assertSameState(g, ModelStore.fromBytes(old.toByteArray(), "memory").graph());
        assertSameState(g, ModelStore.readDl4jModel(dl4j.toByteArray(), "memory"));
    }

    @Test
    void aTruncatedOrCorruptArrayIsAnErrorNamingTheFile() throws Exception {
        byte[] zip = ModelStore.toBytes(trained(), Architecture.MLP, Map.of());
        byte[] truncated = java.util.Arrays.copyOf(zip, zip.length / 2);
        InputException t = assertThrows(InputException.class, () -> ModelStore.fromBytes(truncated, "/runs/x/model.zip"));
        assertTrue(t.getMessage().contains("/runs/x/model.zip") && t.getMessage().contains("not a readable Kindling model zip"), t.getMessage());

        ByteArrayOutputStream bad = new ByteArrayOutputStream();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip)); ZipOutputStream out = new ZipOutputStream(bad)) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                byte[] content = in.readAllBytes();
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(e.getName().equals(ModelSerializer.COEFFICIENTS_BIN) ? java.util.Arrays.copyOf(content, content.length - 100) : content);
                out.closeEntry();
            }
        }
        InputException c = assertThrows(InputException.class, () -> ModelStore.fromBytes(bad.toByteArray(), "/runs/y/model.zip"));
        assertTrue(c.getMessage().contains("/runs/y/model.zip") && c.getMessage().contains(ModelSerializer.COEFFICIENTS_BIN), c.getMessage());
    }
}
