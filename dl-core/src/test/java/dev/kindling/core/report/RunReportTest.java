package dev.kindling.core.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.core.io.InputException;
import dev.kindling.core.io.LocalStorage;
import dev.kindling.core.train.EpochLoop;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report draws every event it is given, and nothing it is not; events survive the file. */
class RunReportTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Three epochs of two replicas, 4 steps each (the replicas share iterations), on Kindling's master. */
    private static List<JsonNode> events() throws Exception {
        List<JsonNode> events = new ArrayList<>();
        int iteration = 0;
        for (int epoch = 0; epoch < 3; epoch++) {
            List<String> records = new ArrayList<>();
            for (int s = 0; s < 4; s++, iteration++) {
                for (String worker : List.of("run/a", "run/b")) {
                    records.add(worker + "," + epoch + "," + iteration + ",32,10.0,4.0,4.0,2.0,,," + (1.0 - 0.05 * iteration));
                }
            }
            events.addAll(RunEvents.steps(epoch + 1, records));
            events.add(RunEvents.epoch(new EpochLoop.EpochRecord(epoch, 0.9 - 0.1 * epoch, 0.8 - 0.1 * epoch, 0.7 + 0.05 * epoch, 1e-3, 2.0),
                    256L * (epoch + 1), 8L * (epoch + 1)));
            events.add(JSON.readTree("{\"event\":\"ranks\",\"epoch\":" + (epoch + 1) + ",\"ranks\":[{\"rank\":0,\"executor\":\"1\",\"host\":\"h1\","
                    + "\"steps\":4,\"compute_s\":0.04,\"wait_s\":0.01},{\"rank\":1,\"executor\":\"2\",\"host\":\"h2\",\"steps\":4,\"compute_s\":0.08,\"wait_s\":0.0}]}"));
        }
        return events;
    }

    @Test
    void everyChartDrawsOnePointPerEventItComesFrom() throws Exception {
        RunReport.Run run = new RunReport.Run("mlp-1", events(), null, "model=mlp\ndist=shared\n", "{\"seed\":42}");
        String live = RunReport.single(run, true);
        var charts = ChartPoints.plotted(live);
        assertEquals(12, charts.get("loss-per-step"), "one point per optimizer step (the two replicas' records merged)");
        assertEquals(6, charts.get("loss-per-epoch"), "train and validation, three epochs each");
        assertEquals(3, charts.get("task-metric"));
        assertEquals(3, charts.get("throughput"));
        assertEquals(6, charts.get("rank-compute"), "two ranks, three epochs");
        assertFalse(charts.containsKey("loss-scale"), "an fp32 run draws no loss-scale chart");
        assertTrue(live.contains("http-equiv=\"refresh\""), "a live report reloads itself");
        assertTrue(live.contains("rank 1 (executor 2@h2)"));
        assertTrue(live.contains("model=mlp"), "the config is on the page");
        assertFalse(live.contains("<script"), "no script: nothing runs, nothing is fetched");
        assertFalse(live.contains("http://") && !live.contains("http://www.w3.org/2000/svg"), "no network address but SVG's namespace");

        JsonNode metrics = JSON.readTree("{\"model\":\"mlp\",\"dataset\":\"seed-sum\",\"dist\":\"shared\",\"workers\":2,\"wall_s\":9.5,"
                + "\"final\":{\"loss\":0.3,\"accuracy\":0.9,\"per_class\":[{\"class\":\"<neg>\",\"precision\":0.9,\"recall\":0.8,\"f1\":0.85},"
                + "{\"class\":\"pos\",\"precision\":0.8,\"recall\":0.9,\"f1\":0.85}],\"confusion\":[[40,10],[5,45]]},"
                + "\"comm\":{\"encoding\":\"dense\",\"bytes_sent\":1000}}");
        String done = RunReport.single(new RunReport.Run("mlp-1", events(), metrics, null, null), false);
        assertFalse(done.contains("http-equiv=\"refresh\""));
        assertEquals(4, ChartPoints.plotted(done).get("confusion"), "one cell per (actual, predicted)");
        assertTrue(done.contains("&lt;neg&gt;") && !done.contains("<neg>"), "class names are escaped");
        assertTrue(done.contains("<td>encoding</td><td>dense</td>"));
    }

    @Test
    void overlayPutsEveryRunOnSharedAxesAndTimesTheTargetAccuracy() throws Exception {
        List<JsonNode> slow = new ArrayList<>();
        for (int epoch = 0; epoch < 3; epoch++) {
            slow.add(RunEvents.epoch(new EpochLoop.EpochRecord(epoch, 1.0, 0.9, 0.6 + 0.05 * epoch, 1e-3, 4.0), 256L * (epoch + 1), 8L * (epoch + 1)));
        }
        String html = RunReport.overlay(List.of(new RunReport.Run("fast", events(), null, null, null), new RunReport.Run("slow", slow, null, null, null)));
        var charts = ChartPoints.plotted(html);
        assertEquals(6, charts.get("val-loss"));
        assertEquals(12, charts.get("train-loss"), "the slow run has no step events");
        // target: the lower of the runs' best validation accuracy (0.70); fast reaches it after epoch 1 (2 s), slow after epoch 3 (12 s)
        assertTrue(html.contains("s to val accuracy 0.7000"), html);
        assertTrue(html.matches("(?s).*<td>fast</td>.*?<td>2</td><td>n/a</td></tr>.*"), "fast: 2 s to the target");
        assertTrue(html.matches("(?s).*<td>slow</td>.*?<td>12</td><td>n/a</td></tr>.*"), "slow: 12 s");
    }

    @Test
    void eventsSurviveTheFileAndABrokenLineIsNamed(@TempDir Path dir) throws Exception {
        LocalStorage storage = new LocalStorage();
        String d = dir.toString();
        List<JsonNode> events = events();
        RunEvents.write(storage, d, events);
        assertEquals(events.toString(), RunEvents.read(storage, d).toString());
        assertFalse(Files.exists(dir.resolve(RunEvents.FILE + ".tmp")), "written whole, then renamed");
        Files.writeString(dir.resolve(RunEvents.FILE), "{\"event\":\"epoch\"}\n{\"event\":\"ep", StandardCharsets.UTF_8);
        InputException e = assertThrows(InputException.class, () -> RunEvents.read(storage, d));
        assertTrue(e.getMessage().contains(RunEvents.FILE + ":2"), e.getMessage());
        assertEquals(List.of(), RunEvents.read(storage, dir.resolve("none").toString()));
    }
}
