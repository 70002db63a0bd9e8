package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.core.model.ModelStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kindling's master checkpoints mid-epoch ({@code --checkpoint-every} rounds, written by rank 0) and
 * resumes from there: a driver killed by SIGKILL and resumed on the same workers ends bit-identical
 * to the run left alone; a replica lost mid-epoch is restarted by {@code --auto-resume} from the
 * mid-epoch checkpoint, not the epoch's start; and a run of 2 workers resumed on 1 (an elastic
 * restart) continues from the same shard and ends in the accuracy band.
 */
class MidEpochResumeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Replica 1 fails after round 4 of epoch 2: rank 0 wrote the round-3 checkpoint (4 rounds x 2 shards) before round 4 could end. */
    private static final String FAIL_AFTER_ROUND_4 = "2:4";
    private static final String CHECKPOINT_BEFORE_FAILURE = "e00001-s00000008";
    @TempDir
    static Path dir;
    static String data;

    @BeforeAll
    static void data() {
        data = dir.resolve("sum").toString();
        assertEquals(0, Cli.run("prepare-data", "--dataset=seed-sum", "--out=" + data).exit());
    }

    private static String[] args(String name, String master, String... extra) {
        String[] common = {"train", "--model=mlp", "--dist=shared", "--encoding=dense", "--master=" + master, "--data=" + data,
                "--out=" + dir.resolve(name), "--epochs=3", "--patience=0", "--checkpoint-every=2", "--keep-checkpoints=3",
                "--timeout-minutes=2"};
        String[] all = java.util.Arrays.copyOf(common, common.length + extra.length);
        System.arraycopy(extra, 0, all, common.length, extra.length);
        return all;
    }

    private static Process start(String log, Map<String, String> env, String... args) throws Exception {
        return Cli.childJvm(dir.resolve(log + ".log"), env, args);
    }

    private static String finish(Process p, String log) throws Exception {
        assertTrue(p.waitFor(4, TimeUnit.MINUTES), "the run did not end; see " + dir.resolve(log + ".log"));
        return Files.readString(dir.resolve(log + ".log"));
    }

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void killedDriverResumesMidEpochToBitIdenticalParameters() throws Exception {
        Process whole = start("whole", Map.of(), args("whole", "local[2]"));
        String wholeLog = finish(whole, "whole");
        assertEquals(0, whole.exitValue(), wholeLog);
        assertNotNull(newestMidEpoch(dir.resolve("whole").resolve("checkpoints"), 0), "rank 0 checkpointed inside the last epoch");

        Path checkpoints = dir.resolve("killed.partial").resolve("checkpoints");
        Process killed = start("killed", Map.of(), args("killed", "local[2]"));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (killed.isAlive() && newestMidEpoch(checkpoints, 1) == null && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(killed.isAlive(), "the run ended before it could be killed; see " + dir.resolve("killed.log"));
        killed.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: the driver and its local executors
        String from = newestMidEpoch(checkpoints, 1);
        Path staging = dir.resolve("killed.partial");
        assertTrue(Files.readString(staging.resolve("events.jsonl")).contains("{\"event\":\"epoch\",\"epoch\":1,"),
                "the killed run kept the events of the epochs it finished");
        assertTrue(Files.readString(staging.resolve("report.html")).contains("http-equiv=\"refresh\""), "and a page that reloads while it trains");

        Process resumed = start("killed-resumed", Map.of(), args("killed", "local[2]", "--resume=" + dir.resolve("killed")));
        String log = finish(resumed, "killed-resumed");
        assertEquals(0, resumed.exitValue(), log);
        assertTrue(log.matches("(?s).*resuming from checkpoint e0000[12]-s000000(0[1-9]|[1-9]\\d).*"), "resumed mid-epoch (newest when killed: "
                + from + ")\n" + log);
        ModelStore.Loaded a = ModelStore.fromBytes(Files.readAllBytes(dir.resolve("whole").resolve("model.zip")), "whole");
        ModelStore.Loaded b = ModelStore.fromBytes(Files.readAllBytes(dir.resolve("killed").resolve("model.zip")), "killed");
        assertEquals(a.graph().params(), b.graph().params(), "bit-identical parameters");
        JsonNode ha = JSON.readTree(dir.resolve("whole").resolve("metrics.json").toFile()).get("history");
        JsonNode hb = JSON.readTree(dir.resolve("killed").resolve("metrics.json").toFile()).get("history");
        long epochEvents = Files.readAllLines(dir.resolve("killed").resolve("events.jsonl")).stream()
                .filter(l -> l.startsWith("{\"event\":\"epoch\"")).count();
        assertEquals(3, epochEvents, "the resumed run's events continue the killed run's, one per epoch");
        assertEquals(3, hb.size());
        for (int e = 0; e < 3; e++) {
            assertEquals(ha.get(e).get("val_loss").asDouble(), hb.get(e).get("val_loss").asDouble(), 0.0, "epoch " + (e + 1));
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void lostReplicaIsAutoResumedFromTheMidEpochCheckpoint() throws Exception {
        Process p = start("auto", Map.of("KINDLING_TEST_FAIL_REPLICA", FAIL_AFTER_ROUND_4), args("auto", "local[2]", "--auto-resume=1"));
        String log = finish(p, "auto");
        assertEquals(0, p.exitValue(), log);
        assertTrue(log.contains("injected: replica 1 lost after round 4 of epoch 2"), "the replica failed\n" + log);
        assertTrue(log.contains("resuming from checkpoint " + CHECKPOINT_BEFORE_FAILURE), "not the epoch's start\n" + log);
        assertTrue(log.contains("epoch 2: resuming at shard 8 of "), log);
        JsonNode m = JSON.readTree(dir.resolve("auto").resolve("metrics.json").toFile());
        assertEquals(1, m.get("auto_resumes").asInt());
        assertEquals(3, m.get("history").size());
        assertTrue(m.get("final").get("accuracy").asDouble() >= 0.85, m.toString());
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void runOfTwoWorkersLostMidEpochResumesOnOne() throws Exception {
        String[] schedule = {"--schedule=onecycle"};
        Process p = start("elastic", Map.of("KINDLING_TEST_FAIL_REPLICA", FAIL_AFTER_ROUND_4), args("elastic", "local[2]", schedule));
        String log = finish(p, "elastic");
        assertEquals(1, p.exitValue(), log);
        assertTrue(log.contains("last good checkpoint: " + CHECKPOINT_BEFORE_FAILURE), log);
        assertFalse(Files.exists(dir.resolve("elastic")), "a failed run publishes nothing");

        Process one = start("elastic-resumed", Map.of(), args("elastic", "local[1]", "--schedule=onecycle",
                "--resume=" + dir.resolve("elastic")));
        String resumed = finish(one, "elastic-resumed");
        assertEquals(0, one.exitValue(), resumed);
        assertTrue(resumed.contains("elastic resume: the checkpoint was trained on 2 workers, this run has 1; epoch 2 continues at shard 8"),
                resumed);
        assertTrue(resumed.contains("epoch 2: resuming at shard 8 of "), resumed);
        assertTrue(resumed.contains("the onecycle schedule now spans"), "the per-step schedule is rebuilt for one worker\n" + resumed);
        JsonNode m = JSON.readTree(dir.resolve("elastic").resolve("metrics.json").toFile());
        assertEquals(3, m.get("history").size(), "epoch 1 on two workers, epochs 2 and 3 on one");
        assertEquals(1, m.get("workers").asInt(), m.toString());
        assertTrue(m.get("final").get("accuracy").asDouble() >= 0.85, m.toString());
    }

    /** The newest checkpoint inside an epoch at or after {@code epoch} (0-based), or null. */
    private static String newestMidEpoch(Path checkpoints, int epoch) throws java.io.IOException {
        if (!Files.isDirectory(checkpoints)) {
            return null;
        }
        try (Stream<Path> s = Files.list(checkpoints)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("e\\d{5}-s\\d{8}")
                    && Integer.parseInt(n.substring(1, 6)) >= epoch && Integer.parseInt(n.substring(8)) > 0).max(String::compareTo).orElse(null);
        }
    }
}
