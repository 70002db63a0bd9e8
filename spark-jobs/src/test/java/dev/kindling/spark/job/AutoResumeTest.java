package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shared-master run whose epoch 2 never finishes (injected: the driver's epoch blocks, as when a
 * worker is stuck in Aeron) is stopped by the watchdog; with {@code --auto-resume} the same driver
 * restarts from the epoch-1 checkpoint and finishes, without it the run fails naming the checkpoint.
 * (A shared-master driver killed by SIGKILL and resubmitted with {@code --resume}: MidEpochResumeTest on local[2],
 * test.sh on the local cluster.)
 */
class AutoResumeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    static String data;

    @BeforeAll
    static void data() {
        data = dir.resolve("sum").toString();
        assertEquals(0, Cli.run("prepare-data", "--dataset=seed-sum", "--out=" + data).exit());
    }

    private static int train(String name, String... extra) throws Exception {
        String[] args = {"train", "--model=mlp", "--dist=shared", "--master=local[2]", "--data=" + data, "--out=" + dir.resolve(name),
                "--epochs=3", "--patience=0", "--timeout-minutes=0.25", "--aeron-port=" + Cli.freeUdpPort()};
        Process p = Cli.childJvm(dir.resolve(name + ".log"), Map.of("KINDLING_TEST_HANG_EPOCH", "2"), Cli.concat(args, extra));
        assertTrue(p.waitFor(4, TimeUnit.MINUTES), "the run neither finished nor failed; see " + dir.resolve(name + ".log"));
        return p.exitValue();
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void hungEpochIsRestartedFromTheLastCheckpointAndTheRunFinishes() throws Exception {
        assertEquals(0, train("resumed", "--auto-resume=1"), Files.readString(dir.resolve("resumed.log")));
        String log = Files.readString(dir.resolve("resumed.log"));
        assertTrue(log.contains("epoch 2 did not finish in 0.25 min"), "the watchdog fired");
        assertTrue(log.contains("auto-resume 1 of 1"), "and the driver restarted");
        JsonNode m = JSON.readTree(dir.resolve("resumed").resolve("metrics.json").toFile());
        assertEquals(1, m.get("auto_resumes").asInt());
        assertEquals(3, m.get("history").size(), "epochs 1 (before the hang), 2 and 3 (after the restart)");
        assertTrue(m.get("final").get("accuracy").asDouble() >= 0.85, m.toString());
        assertFalse(Files.exists(dir.resolve("resumed.partial")));
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void withoutAutoResumeTheHungRunFailsNamingItsCheckpoint() throws Exception {
        assertEquals(1, train("failed"));
        String log = Files.readString(dir.resolve("failed.log"));
        assertTrue(log.contains("epoch 2 did not finish in 0.25 min"), log);
        assertTrue(log.contains("last good checkpoint: e00001-s00000000"), log);
        assertTrue(log.contains("--resume=" + dir.resolve("failed").toUri().toString().replaceAll("/$", "").replace("file:///", "file:/")), log);
        assertFalse(Files.exists(dir.resolve("failed")), "a failed run publishes nothing");
    }
}
