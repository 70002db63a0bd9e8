package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The BERT-style column through the command line: prepare the generated topic task, train, evaluate. */
class EncoderClassifierJobTest {

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void encoderClassifierLearnsTheTopicTask(@TempDir Path dir) throws Exception {
        Cli r = Cli.run("demo", "--model=encoder-classifier", "--dist=local", "--epochs=1", "--out=" + dir.resolve("demo"));
        assertEquals(0, r.exit(), r.err());
        JsonNode m = new ObjectMapper().readTree(r.lastLine());
        assertEquals("encoder-classifier", m.get("model").asText());
        assertEquals("topics", m.get("dataset").asText());
        assertEquals(500, m.get("final").get("examples").asInt());
        // four balanced topics: chance is 0.25
        assertTrue(m.get("final").get("accuracy").asDouble() >= 0.8, m.toString());
    }
}
