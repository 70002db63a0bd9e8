package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica of Kindling's master whose own steps are slow (injected: rank 1 sleeps 100 ms a round) is
 * named while the epoch runs, by executor and host, in the lines rank 0 prints every 20 rounds, and
 * again at the epoch's end; {@code metrics.json} carries the per-rank times. Meanwhile the driver
 * prints progress lines that rank 0's steps reach it with on executor heartbeats (set to 1 s here).
 */
class StragglerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void slowReplicaIsNamedInsideTheEpoch(@TempDir Path dir) throws Exception {
        String data = dir.resolve("sum").toString();
        // batches of 16: about 50 rounds of 2 workers per epoch, two 20-round windows
        assertEquals(0, Cli.run("prepare-data", "--dataset=seed-sum", "--batch-size=16", "--out=" + data).exit());
        Path out = dir.resolve("run");
        Process p = Cli.childJvm(dir.resolve("run.log"), Map.of("KINDLING_TEST_SLOW_REPLICA", "1:100"),
                List.of("-Dspark.executor.heartbeatInterval=1s"), "train", "--model=mlp", "--dist=shared", "--encoding=dense",
                "--master=local[2]", "--data=" + data, "--out=" + out, "--epochs=1", "--progress-seconds=1");
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), "the run did not end; see " + dir.resolve("run.log"));
        String log = Files.readString(dir.resolve("run.log"));
        assertEquals(0, p.exitValue(), log);
        Matcher live = Pattern.compile("epoch 1 round (\\d+) of (\\d+): straggler: rank 1 \\(executor driver on [^)]+\\): its steps took").matcher(log);
        assertTrue(live.find(), "named while the epoch runs\n" + log);
        assertTrue(Integer.parseInt(live.group(1)) < Integer.parseInt(live.group(2)), "before the epoch's last round: " + live.group());
        assertTrue(log.contains("epoch 1: straggler: rank 1 (executor driver on "), "and at its end\n" + log);
        // the driver's progress: a line from inside the epoch, then the epoch's last step
        Matcher progress = Pattern.compile("Progress: epoch=1/1 step=(\\d+)/(\\d+) run=\\d+/\\d+ loss=(\\S+) lr=\\S+ samples/s=\\S+ eta=").matcher(log);
        assertTrue(progress.find(), "the driver shows progress\n" + log);
        String rounds = progress.group(2);
        assertTrue(Integer.parseInt(progress.group(1)) < Integer.parseInt(rounds), "while the epoch runs: " + progress.group());
        assertTrue(Double.isFinite(Double.parseDouble(progress.group(3))), progress.group());
        assertTrue(log.contains("Progress: epoch=1/1 step=" + rounds + "/" + rounds + " run=" + rounds + "/" + rounds), "and at its end\n" + log);
        JsonNode ranks = JSON.readTree(out.resolve("metrics.json").toFile()).get("comm").get("ranks");
        assertTrue(ranks.get(1).get("compute_s").asDouble() > 1.5 * ranks.get(0).get("compute_s").asDouble(), ranks.toString());
    }
}
