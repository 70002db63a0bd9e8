package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --precision=fp16} through the train command: locally and with the shared master on local[2]
 * the seed's MLP learns its binary task with its dense layers in fp16, the loss-scaling counters
 * reach metrics.json and telemetry.csv from the workers, and the saved model evaluates.
 */
class MixedPrecisionTrainingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void fp16TrainsLocallyAndWithTheSharedMasterAndReportsItsLossScale(@TempDir Path dir) throws Exception {
        String data = dir.resolve("sum").toString();
        Cli prep = Cli.run("prepare-data", "--dataset=seed-sum", "--out=" + data);
        assertEquals(0, prep.exit(), prep.err());

        for (String dist : List.of("local", "shared")) {
            String run = dir.resolve("run-" + dist).toString();
            Cli train = Cli.run("train", "--model=mlp", "--data=" + data, "--out=" + run, "--dist=" + dist, "--master=local[2]",
                    "--epochs=6", "--precision=fp16", "--aeron-port=" + Cli.freeUdpPort(), "--timeout-minutes=4");
            assertEquals(0, train.exit(), train.err());
            JsonNode metrics = JSON.readTree(Files.readString(Path.of(run, "metrics.json")));
            assertEquals("fp16", metrics.get("precision").asText());
            double accuracy = metrics.get("final").get("accuracy").asDouble();
            assertTrue(accuracy >= 0.9, dist + ": test accuracy " + accuracy);
            JsonNode telemetry = metrics.get("telemetry");
            assertTrue(telemetry.has("last_loss_scale") && telemetry.get("last_loss_scale").asDouble() > 0, telemetry.toString());
            List<String> rows = Files.readAllLines(Path.of(run, "telemetry.csv"));
            assertTrue(rows.get(0).endsWith(",loss_scale,skipped,loss"), rows.get(0));
            long skippedRows = rows.stream().skip(1).filter(r -> r.split(",", -1)[9].equals("1")).count();
            assertEquals(skippedRows, telemetry.get("skipped_steps").asLong(), "metrics.json counts the skipped rows of telemetry.csv");
            assertTrue(skippedRows < rows.size() / 10, dist + ": few steps skipped: " + skippedRows + " of " + (rows.size() - 1));

            String config = dev.kindling.core.model.ModelStore.fromBytes(Files.readAllBytes(Path.of(run, "model.zip")), run)
                    .text(dev.kindling.core.model.ModelStore.CONFIG_ENTRY);
            assertTrue(config.contains("precision=fp16"), "the saved model records its precision");
            Cli eval = Cli.run("evaluate", "--model-path=" + run + "/model.zip", "--data=" + data, "--dist=local");
            assertEquals(0, eval.exit(), eval.err());
            assertEquals(accuracy, JSON.readTree(eval.lastLine()).get("final").get("accuracy").asDouble(), 0.0);
        }
    }

    @Test
    void aModelWithoutHalfPrecisionLayersIsRefusedBeforeTraining(@TempDir Path dir) throws Exception {
        String data = dir.resolve("sum").toString();
        assertEquals(0, Cli.run("prepare-data", "--dataset=seed-sum", "--out=" + data).exit());
        Cli train = Cli.run("train", "--model=mlp", "--data=" + data, "--out=" + dir.resolve("r"), "--dist=local", "--precision=fp8");
        assertTrue(train.exit() != 0 && train.err().contains("precision=fp8") && train.err().contains("fp16"), train.err());
        String quadrants = dir.resolve("quadrants").toString();
        assertEquals(0, Cli.run("prepare-data", "--dataset=seed-quadrants", "--out=" + quadrants).exit());
        Cli scratch = Cli.run("train", "--model=scratch-mlp", "--data=" + quadrants, "--out=" + dir.resolve("s"), "--dist=local", "--precision=fp16");
        assertTrue(scratch.exit() != 0 && scratch.err().contains("drop --precision"), scratch.err());
        assertTrue(Files.notExists(dir.resolve("r")) && Files.notExists(dir.resolve("s")), "nothing was written");
    }
}
