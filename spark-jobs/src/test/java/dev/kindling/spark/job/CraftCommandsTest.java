package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.core.model.ModelStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** train with the craft keys, lr-find and doctor through the command line, on the seed's sum task. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CraftCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    static String data;

    @BeforeAll
    static void prepare() {
        data = dir.resolve("sum").toString();
        Cli prep = Cli.run("prepare-data", "--dataset=seed-sum", "--out=" + data);
        assertEquals(0, prep.exit(), prep.err());
    }

    @Test
    void trainWithMuonOneCycleAccumulationAndEmaWritesTheEmaModelAndItsMetrics() throws Exception {
        String run = dir.resolve("muon").toString();
        Cli train = Cli.run("train", "--model=regularized-mlp", "--data=" + data, "--out=" + run, "--dist=local", "--epochs=2",
                "--optimizer=muon", "--lr=0.02", "--schedule=onecycle", "--accumulate=2", "--ema-decay=0.9");
        assertEquals(0, train.exit(), train.err());
        JsonNode m = JSON.readTree(Files.readString(Path.of(run, "metrics.json")));
        assertEquals("muon", m.get("optimizer").get("name").asText());
        assertEquals(2, m.get("optimizer").get("accumulate").asInt());
        assertTrue(m.get("ema").get("final").get("loss").asDouble() > 0, m.get("ema").toString());
        ModelStore.Loaded ema = ModelStore.fromBytes(Files.readAllBytes(Path.of(run, RunPublisher.EMA_MODEL)), run);
        ModelStore.Loaded raw = ModelStore.fromBytes(Files.readAllBytes(Path.of(run, "model.zip")), run);
        assertTrue(!ema.graph().params().equals(raw.graph().params()), "EMA weights differ from the raw ones");
        assertTrue(m.get("final").get("accuracy").asDouble() > 0.6, m.get("final").toString());
    }

    @Test
    void lrFindWritesTheCurveAndSuggestsARate() throws Exception {
        String out = dir.resolve("lrfind").toString();
        Cli find = Cli.run("lr-find", "--model=mlp", "--data=" + data, "--out=" + out, "--lr-steps=60");
        assertEquals(0, find.exit(), find.err());
        JsonNode s = JSON.readTree(find.lastLine());
        double lr = s.get("suggested_lr").asDouble();
        assertTrue(lr > 1e-7 && lr < 10, s.toString());
        assertTrue(Files.readAllLines(Path.of(out, "lr-find.csv")).size() == s.get("steps").asInt() + 1);
        assertTrue(Files.readString(Path.of(out, "lr-find.svg")).startsWith("<svg"));
    }

    @Test
    void doctorNamesAFlatRunAndPassesAHealthyModel() throws Exception {
        String run = dir.resolve("flat").toString();
        Cli train = Cli.run("train", "--model=mlp", "--data=" + data, "--out=" + run, "--dist=local", "--epochs=2",
                "--optimizer=sgd", "--lr=1e-9");
        assertEquals(0, train.exit(), train.err());
        String out = dir.resolve("doctor").toString();
        Cli doctor = Cli.run("doctor", "--model=mlp", "--data=" + data, "--run=" + run, "--out=" + out);
        assertEquals(0, doctor.exit(), doctor.err());
        JsonNode report = JSON.readTree(Files.readString(Path.of(out, "doctor.json")));
        assertTrue(report.get("verdicts").toString().contains("flat"), report.get("findings").toString());
        assertEquals(Math.log(2), report.get("expected_initial_loss").asDouble(), 1e-12);
        for (JsonNode f : report.get("findings")) {
            if (f.get("check").asText().equals("overfit one batch")) {
                assertEquals("ok", f.get("verdict").asText(), f.toString());
            }
        }
    }
}
