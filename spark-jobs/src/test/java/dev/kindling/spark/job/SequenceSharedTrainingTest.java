package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sequence models through the Spark path on local[2] with DL4J's SharedTrainingMaster: the
 * configurations reach the executors as JSON and Kryo (DL4J's SimpleRnn and the
 * last-step head) and the task metric comes back through the CLI.
 */
class SequenceSharedTrainingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // DL4J's shared master can hang (DESIGN.md); the watchdog fires first
    void sharedMasterTrainsTheVanillaRnnOnTheLearnableSequenceTask(@TempDir Path dir) throws Exception {
        String data = dir.resolve("seq").toString();
        Cli prep = Cli.run("prepare-data", "--dataset=seq-classify", "--limit=640", "--batch-size=32", "--out=" + data);
        assertEquals(0, prep.exit(), prep.err());

        String run = dir.resolve("run").toString();
        Cli train = Cli.run("train", "--model=vanilla-rnn", "--data=" + data, "--out=" + run, "--dist=shared",
                "--master=local[2]", "--hidden=32", "--epochs=3", "--lr=3e-3", "--t-max=3",
                "--aeron-port=" + Cli.freeUdpPort(), "--timeout-minutes=4");
        assertEquals(0, train.exit(), train.err());

        JsonNode metrics = JSON.readTree(Files.readString(Path.of(run, "metrics.json")));
        assertEquals("shared", metrics.get("dist").asText());
        assertEquals(2, metrics.get("workers").asInt());
        assertEquals("vanilla-rnn", metrics.get("model").asText());
        double accuracy = metrics.get("final").get("accuracy").asDouble();
        assertTrue(accuracy > 0.9, "test accuracy " + accuracy + " on seq-classify (chance 0.5)");
    }
}
