package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.core.model.ModelStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local training run killed by SIGKILL mid-epoch and resumed from its newest checkpoint ends with
 * exactly the parameters and history of the same run left alone.
 */
class ResumeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void killedLocalRunResumesToBitIdenticalParameters(@TempDir Path dir) throws Exception {
        String data = dir.resolve("sum").toString();
        assertEquals(0, Cli.run("prepare-data", "--dataset=seed-sum", "--out=" + data).exit());
        String[] common = {"train", "--model=mlp", "--dist=local", "--data=" + data, "--epochs=40", "--patience=0",
                "--checkpoint-every=5", "--keep-checkpoints=2"};

        Path whole = dir.resolve("whole");
        Cli uninterrupted = Cli.run(Cli.concat(common, "--out=" + whole));
        assertEquals(0, uninterrupted.exit(), uninterrupted.err());

        Path killed = dir.resolve("killed");
        Path checkpoints = dir.resolve("killed.partial").resolve("checkpoints");
        Process child = Cli.childJvm(dir.resolve("child.log"), java.util.Map.of(), Cli.concat(common, "--out=" + killed));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!hasMidEpochCheckpoint(checkpoints, 3) && child.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(child.isAlive(), "the run ended before it could be killed; see " + dir.resolve("child.log"));
        child.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: no shutdown hooks, no clean-up
        assertFalse(Files.exists(killed), "a killed run publishes nothing");
        List<String> left;
        try (Stream<Path> s = Files.list(checkpoints)) {
            left = s.map(p -> p.getFileName().toString()).filter(n -> n.matches("e\\d{5}-s\\d{8}")).sorted().toList();
        }
        assertTrue(left.size() <= 3, "at most keep + 1 checkpoints on disk: " + left);
        String newest = left.get(left.size() - 1);
        assertTrue(Integer.parseInt(newest.substring(8)) > 0, "the run resumes mid-epoch, from " + newest);

        Cli resumed = Cli.run(Cli.concat(common, "--resume=" + killed));
        assertEquals(0, resumed.exit(), resumed.err());
        assertTrue(resumed.err().isEmpty() || !resumed.err().contains("kindling:"), resumed.err());

        ModelStore.Loaded a = ModelStore.fromBytes(Files.readAllBytes(whole.resolve("model.zip")), "whole");
        ModelStore.Loaded b = ModelStore.fromBytes(Files.readAllBytes(killed.resolve("model.zip")), "killed");
        assertEquals(a.graph().params(), b.graph().params(), "bit-identical parameters");
        JsonNode ha = JSON.readTree(whole.resolve("metrics.json").toFile()).get("history");
        JsonNode hb = JSON.readTree(killed.resolve("metrics.json").toFile()).get("history");
        assertEquals(40, hb.size());
        for (int e = 0; e < 40; e++) {
            assertEquals(ha.get(e).get("val_loss").asDouble(), hb.get(e).get("val_loss").asDouble(), 0.0, "epoch " + (e + 1));
        }
        assertFalse(Files.exists(dir.resolve("killed.partial")), "the staging directory became the run directory");
        assertTrue(Files.isDirectory(killed.resolve("checkpoints")));
    }

    @Test
    void resumeWithoutAnInterruptedRunSaysSo(@TempDir Path dir) {
        Cli r = Cli.run("train", "--dist=local", "--data=" + dir.resolve("none"), "--resume=" + dir.resolve("run"));
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("no interrupted run there"), r.err());
    }

    private static boolean hasMidEpochCheckpoint(Path checkpoints, int epoch) throws java.io.IOException {
        if (!Files.isDirectory(checkpoints)) {
            return false;
        }
        try (Stream<Path> s = Files.list(checkpoints)) {
            return s.map(p -> p.getFileName().toString()).anyMatch(n -> n.matches("e\\d{5}-s\\d{8}")
                    && Integer.parseInt(n.substring(1, 6)) >= epoch && Integer.parseInt(n.substring(8)) > 0);
        }
    }
}
