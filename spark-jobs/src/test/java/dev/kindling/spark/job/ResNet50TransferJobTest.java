package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.core.data.Cifar10;
import dev.kindling.core.model.ModelStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3's check for resnet50-transfer: both strategies end to end through the command line on a small
 * generated image set in CIFAR-10's binary format (prepare-data, train, evaluate), strategy 1 with the
 * shared master on local[2], strategy 2 in one JVM.
 */
class ResNet50TransferJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** 3x32x32 images whose class (0-3) sets which colour plane is bright, plus noise. */
    private static void writeImages(Path file, int records, Random rng) throws Exception {
        byte[] bytes = new byte[records * Cifar10.RECORD];
        for (int i = 0; i < records; i++) {
            int o = i * Cifar10.RECORD;
            int label = i % 4;
            bytes[o] = (byte) label;
            for (int p = 0; p < 3 * 1024; p++) {
                int plane = p / 1024;
                int base = label == plane ? 200 : label == 3 ? 128 : 40;
                bytes[o + 1 + p] = (byte) Math.max(0, Math.min(255, base + rng.nextInt(41) - 20));
            }
        }
        Files.write(file, bytes);
    }

    /** {@code perFile} images in each of the six files, prepared in minibatches of 16; the dataset's URI. */
    private static String prepared(Path dir, int perFile) throws Exception {
        Path source = Files.createDirectories(dir.resolve("images"));
        Random rng = new Random(perFile);
        for (String f : Cifar10.TRAIN_FILES) {
            writeImages(source.resolve(f), perFile, rng);
        }
        writeImages(source.resolve(Cifar10.TEST_FILE), perFile, rng);
        String data = dir.resolve("data").toString();
        Cli prep = Cli.run("prepare-data", "--dataset=cifar10", "--source-path=" + source, "--batch-size=16", "--out=" + data);
        assertEquals(0, prep.exit(), prep.err());
        return data;
    }

    @Test
    void frozenAndFineTunedStrategiesTrainAndEvaluateEndToEnd(@TempDir Path dir) throws Exception {
        String data = prepared(dir, 16);

        String frozen = dir.resolve("frozen").toString();
        Cli a = Cli.run("train", "--model=resnet50-transfer", "--data=" + data, "--out=" + frozen, "--transfer=frozen",
                "--dist=shared", "--master=local[2]", "--epochs=1", "--patience=0", "--aeron-port=" + Cli.freeUdpPort(),
                "--timeout-minutes=4");
        assertEquals(0, a.exit(), a.err());
        // strategy 2 in one JVM: its layer4 rate (0.1 x 1e-3) makes Adam steps of ~1e-4, which the shared
        // master's threshold encoding (1e-3) keeps in its residual for the few steps this set allows
        String tuned = dir.resolve("finetune").toString();
        Cli b = Cli.run("train", "--model=resnet50-transfer", "--data=" + data, "--out=" + tuned, "--transfer=finetune",
                "--dist=local", "--epochs=1", "--patience=0");
        assertEquals(0, b.exit(), b.err());
        for (String run : new String[] {frozen, tuned}) {
            JsonNode m = JSON.readTree(Files.readString(Path.of(run, "metrics.json")));
            assertEquals("resnet50-transfer", m.get("model").asText());
            assertEquals(16, m.get("final").get("examples").asInt(), m.toString());
            Cli eval = Cli.run("evaluate", "--model-path=" + run + "/model.zip", "--data=" + data, "--dist=local");
            assertEquals(0, eval.exit(), eval.err());
            assertEquals(m.get("final").get("accuracy").asDouble(),
                    JSON.readTree(eval.lastLine()).get("final").get("accuracy").asDouble(), 1e-9);
        }
        // same seed, same initialisation: the stem is fixed in both strategies, layer4 trains only in strategy 2
        ComputationGraph f = load(frozen);
        ComputationGraph t = load(tuned);
        assertEquals(f.getParam("stem-cnn1_W"), t.getParam("stem-cnn1_W"));
        assertEquals(f.getParam("res3d_branch2c_W"), t.getParam("res3d_branch2c_W"));
        assertNotEquals(f.getParam("res5a_branch2a_W"), t.getParam("res5a_branch2a_W"));
    }

    @Test
    void missingWeightsAreNamedAndNeverDownloaded(@TempDir Path dir) throws Exception {
        String data = prepared(dir, 4);
        Path run = dir.resolve("run");
        Cli r = Cli.run("train", "--model=resnet50-transfer", "--data=" + data, "--out=" + run, "--dist=local",
                "--weights=" + dir.resolve("resnet50_dl4j_inference.v3.zip"));
        assertTrue(r.exit() != 0 && r.err().contains("resnet50_dl4j_inference.v3.zip") && r.err().contains("never downloads"), r.err());
        assertTrue(Files.notExists(run), "nothing was written");
    }

    private static ComputationGraph load(String run) throws Exception {
        return ModelStore.fromBytes(Files.readAllBytes(Path.of(run, "model.zip")), run).graph();
    }
}
