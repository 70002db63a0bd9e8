package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Seed section 1 through the command line: {@code demo --model=scratch-mlp} with its preset. */
class ScratchMlpJobTest {

    @Test
    void scratchMlpDemoReachesTheSeedsAccuracy(@TempDir Path dir) throws Exception {
        Cli r = Cli.run("demo", "--model=scratch-mlp", "--out=" + dir.resolve("demo"));
        assertEquals(0, r.exit(), r.err());
        JsonNode m = new ObjectMapper().readTree(r.lastLine());
        assertEquals("scratch-mlp", m.get("model").asText());
        assertEquals("seed-quadrants", m.get("dataset").asText());
        assertTrue(m.get("final").get("accuracy").asDouble() >= 0.97, m.toString());
        assertEquals(1000, m.get("final").get("examples").asInt());
    }
}
