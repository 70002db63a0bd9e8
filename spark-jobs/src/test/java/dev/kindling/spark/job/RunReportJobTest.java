package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.core.report.ChartPoints;
import dev.kindling.core.report.TensorBoardFile;
import dev.kindling.core.report.TensorBoardFileTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run writes events.jsonl and report.html while it trains and publishes both; {@code report}
 * rebuilds one run's page or overlays several; a real browser (Debian's headless Chromium) renders
 * the page of a run of Kindling's master without a console message, with every chart holding one
 * point per event it was drawn from, and takes a screenshot (spark-jobs/target/report-screenshot.png).
 */
class RunReportJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    static Path local;
    static Path shared;

    @BeforeAll
    static void runs() {
        String data = dir.resolve("sum").toString();
        assertEquals(0, Cli.run("prepare-data", "--dataset=seed-sum", "--out=" + data).exit());
        local = dir.resolve("local");
        shared = dir.resolve("shared");
        Cli a = Cli.run("train", "--model=mlp", "--dist=local", "--data=" + data, "--out=" + local, "--epochs=3", "--patience=0");
        assertEquals(0, a.exit(), a.err());
        Cli b = Cli.run("train", "--model=mlp", "--dist=shared", "--master=local[2]", "--data=" + data, "--out=" + shared, "--epochs=3",
                "--patience=0");
        assertEquals(0, b.exit(), b.err());
    }

    private static List<JsonNode> events(Path run, String kind) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("events.jsonl"))) {
            JsonNode e = JSON.readTree(line);
            if (e.path("event").asText().equals(kind)) {
                out.add(e);
            }
        }
        return out;
    }

    @Test
    void aRunPublishesItsEventsAndReport() throws Exception {
        for (Path run : List.of(local, shared)) {
            JsonNode metrics = JSON.readTree(run.resolve("metrics.json").toFile());
            List<JsonNode> epochs = events(run, "epoch");
            assertEquals(3, epochs.size(), run + ": one event per epoch");
            for (int e = 0; e < 3; e++) {
                assertEquals(metrics.get("history").get(e).get("val_loss").asDouble(), epochs.get(e).get("val_loss").asDouble(), 0.0);
            }
            assertEquals(metrics.get("telemetry").get("steps").asInt(), events(run, "step").size(), run + ": every telemetry record is an event");
            // TensorBoard's file beside them: the version record, 3 epochs x 4 scalars (train/val loss, val accuracy, lr), a loss per iteration
            List<byte[]> tb = TensorBoardFileTest.records(Files.readAllBytes(run.resolve(TensorBoardFile.PATH)));
            long iterations = events(run, "step").stream().map(e -> e.get("iteration").asLong()).distinct().count();
            assertEquals(1 + 3 * 4 + iterations, tb.size(), run + ": TensorBoard records");
            String html = Files.readString(run.resolve("report.html"));
            assertFalse(html.contains("http-equiv=\"refresh\""), "a finished run's page does not reload");
            assertTrue(html.contains("Confusion matrix"), "the test split's confusion matrix");
        }
        assertEquals(3, events(shared, "ranks").size(), "Kindling's master logs where each rank ran, every epoch");
        assertTrue(events(local, "ranks").isEmpty());
    }

    @Test
    void reportRebuildsOneRunAndOverlaysSeveral() throws Exception {
        byte[] published = Files.readAllBytes(local.resolve("report.html"));
        Files.delete(local.resolve("report.html"));
        Cli one = Cli.run("report", "--runs=" + local);
        assertEquals(0, one.exit(), one.err());
        String was = new String(published, java.nio.charset.StandardCharsets.UTF_8);
        String rebuilt = Files.readString(local.resolve("report.html"));
        int at = 0;
        while (at < Math.min(was.length(), rebuilt.length()) && was.charAt(at) == rebuilt.charAt(at)) {
            at++;
        }
        assertTrue(was.equals(rebuilt), "rebuilt from the published files, the same page; first difference at " + at + ": "
                + rebuilt.substring(Math.max(0, at - 150), Math.min(rebuilt.length(), at + 100)) + "\n  published: "
                + was.substring(Math.max(0, at - 150), Math.min(was.length(), at + 100)));

        Path compared = dir.resolve("compared.html");
        Cli both = Cli.run("report", "--runs=" + local + "," + shared, "--out=" + compared);
        assertEquals(0, both.exit(), both.err());
        String html = Files.readString(compared);
        assertTrue(html.contains("<td>local</td>") && html.contains("<td>shared</td>"), "a row per run");
        assertEquals(6, ChartPoints.plotted(html).get("val-loss"), "both runs' three epochs on one chart");

        Cli noOut = Cli.run("report", "--runs=" + local + "," + shared);
        assertEquals(2, noOut.exit());
        assertTrue(noOut.err().contains("--out=<file.html>"), noOut.err());
        Cli missing = Cli.run("report", "--runs=" + dir.resolve("nothing"));
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("no run directory there"), missing.err());
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void chromiumRendersEveryChartWithItsDataAndNoConsoleMessage() throws Exception {
        Path page = shared.resolve("report.html");
        Path screenshot = Path.of("target", "report-screenshot.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);
        Browser.Rendered r = Browser.render(page, screenshot, dir.resolve("chromium"));
        assertTrue(r.consoleLines().isEmpty(), "console messages: " + r.consoleLines());
        Map<String, Integer> charts = ChartPoints.plotted(r.dom());
        List<JsonNode> steps = events(shared, "step");
        long iterations = steps.stream().map(e -> e.get("iteration").asDouble()).distinct().count();
        assertEquals((int) iterations, charts.get("loss-per-step"), "one point per optimizer step of the events");
        assertEquals(6, charts.get("loss-per-epoch"));
        assertEquals(3, charts.get("task-metric"));
        assertEquals(6, charts.get("rank-compute"), "two ranks x three epochs");
        assertEquals(4, charts.get("confusion"), "seed-sum's 2 x 2 confusion matrix");
        assertTrue(Files.size(screenshot) > 10_000, "a screenshot of the rendered page: " + screenshot);
    }

}
