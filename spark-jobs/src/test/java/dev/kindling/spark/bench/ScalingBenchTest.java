package dev.kindling.spark.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.spark.config.SparkMaster;
import dev.kindling.spark.job.SparkJobs;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/**
 * The scaling bench's all-reduce through a real barrier stage on local[2] (two tasks, Aeron over
 * loopback): every case reports a time and the bytes the engine's algorithm must send.
 */
class ScalingBenchTest {

    @Test
    void everyCaseSendsWhatItsAlgorithmMust() {
        int floats = 100_000;
        ScalingBench.Settings s = ScalingBench.settings(Map.of("workers", "2", "floats", Integer.toString(floats),
                "wires", "fp32,bf16", "topk-density", "0.01", "halving", "true", "warmup", "1", "calls", "3"));
        List<Map<String, Object>> lines;
        try (JavaSparkContext sc = SparkJobs.context(new SparkMaster("local[2]"), "scaling-bench")) {
            lines = ScalingBench.run(sc, s);
        }
        assertEquals(List.of("dense-fp32", "dense-bf16", "topk", "halving-fp32", "halving-bf16"), lines.stream().map(m -> m.get("case")).toList());
        // dense (either algorithm, 2 workers): half the vector out in the reduce-scatter and half in the all-gather, 4 or 2
        // bytes a value, plus frame headers; topk: all 1,000 (index, value) pairs to the other worker, 8 bytes a pair
        double[] payload = {floats * 4.0, floats * 2.0, floats * 0.01 * 8, floats * 4.0, floats * 2.0};
        for (int i = 0; i < lines.size(); i++) {
            Map<String, Object> m = lines.get(i);
            double bytes = ((Number) m.get("bytes_per_worker_call")).doubleValue();
            assertTrue(bytes >= payload[i] && bytes < payload[i] * 1.1, m.get("case") + ": " + bytes + " bytes for a payload of " + payload[i]);
            double median = ((Number) m.get("ms_median")).doubleValue();
            assertTrue(median > 0 && median <= ((Number) m.get("ms_max")).doubleValue(), m.toString());
            assertEquals(2, m.get("workers"));
        }
    }

    @Test
    void anUnknownKeyIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScalingBench.settings(Map.of("workers", "2", "flaots", "10")));
        assertTrue(e.getMessage().contains("[flaots]"), e.getMessage());
    }
}
