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
 * configurations reach the executors as JSON and Kryo (recurrent layers, masks, the forecaster's
 * last-value baseline in the manifest) and the task metric comes back through the CLI.
 */
class SequenceSharedTrainingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // DL4J's shared master can hang (DESIGN.md); the watchdog fires first
    void sharedMasterTrainsTheForecasterPastTwiceTheNaiveBaseline(@TempDir Path dir) throws Exception {
        String data = dir.resolve("sines").toString();
        Cli prep = Cli.run("prepare-data", "--dataset=sines", "--window=24", "--horizon=4", "--limit=512", "--batch-size=32",
                "--out=" + data);
        assertEquals(0, prep.exit(), prep.err());

        String run = dir.resolve("run").toString();
        Cli train = Cli.run("train", "--model=lstm-forecaster", "--data=" + data, "--out=" + run, "--dist=shared",
                "--master=local[2]", "--hidden=32", "--layers=1", "--epochs=6", "--lr=1e-2", "--t-max=6",
                "--aeron-port=" + Cli.freeUdpPort(), "--timeout-minutes=4");
        assertEquals(0, train.exit(), train.err());

        JsonNode metrics = JSON.readTree(Files.readString(Path.of(run, "metrics.json")));
        assertEquals("shared", metrics.get("dist").asText());
        assertEquals("lstm-forecaster", metrics.get("model").asText());
        JsonNode fin = metrics.get("final");
        double rmse = fin.get("rmse").asDouble();
        double baseline = fin.get("baseline_rmse").asDouble();
        assertTrue(rmse > 0 && rmse * 2 < baseline, "test rmse " + rmse + " vs last-value baseline " + baseline);
    }
}
