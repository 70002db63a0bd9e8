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

    /** Two vectors, the second with no warm-up call (--rewarm=0): its calls are timed from its first. */
    @Test
    void everyCaseSendsWhatItsAlgorithmMust() {
        long[] vectors = {100_000, 60_000};
        ScalingBench.Settings s = ScalingBench.settings(Map.of("workers", "2", "floats", vectors[0] + "," + vectors[1],
                "wires", "fp32,bf16", "topk-density", "0.01", "halving", "true", "warmup", "1", "rewarm", "0", "calls", "3"));
        assertEquals(1, s.warmup());
        assertEquals(0, s.rewarm());
        assertEquals(1, ScalingBench.settings(Map.of("workers", "2", "warmup", "1")).rewarm(), "--rewarm defaults to --warmup");
        List<Map<String, Object>> lines;
        try (JavaSparkContext sc = SparkJobs.context(new SparkMaster("local[2]"), "scaling-bench")) {
            lines = ScalingBench.run(sc, s);
        }
        List<String> cases = List.of("dense-fp32", "dense-bf16", "topk", "halving-fp32", "halving-bf16");
        assertEquals(cases.size() * vectors.length, lines.size());
        for (int i = 0; i < lines.size(); i++) {
            Map<String, Object> m = lines.get(i);
            long floats = vectors[i / cases.size()];
            assertEquals(floats, ((Number) m.get("floats")).longValue());
            assertEquals(cases.get(i % cases.size()), m.get("case"));
            // dense (either algorithm, 2 workers): half the vector out in the reduce-scatter and half in the all-gather, 4 or 2
            // bytes a value, plus frame headers; topk: all (index, value) pairs to the other worker, 8 bytes a pair
            double payload = new double[] {floats * 4.0, floats * 2.0, floats * 0.01 * 8, floats * 4.0, floats * 2.0}[i % cases.size()];
            double bytes = ((Number) m.get("bytes_per_worker_call")).doubleValue();
            assertTrue(bytes >= payload && bytes < payload * 1.1, m.get("case") + ": " + bytes + " bytes for a payload of " + payload);
            double median = ((Number) m.get("ms_median")).doubleValue();
            assertTrue(median > 0 && median <= ((Number) m.get("ms_max")).doubleValue(), m.toString());
            assertEquals(2, m.get("workers"));
        }
    }

    /** local[4] as one executor of 4 slots: the dense cases meet in memory (no bytes sent), topk stays on Aeron. */
    @Test
    void severalSlotsPerExecutorRunTheDenseCasesAsTrainingDoes() {
        int floats = 100_000;
        ScalingBench.Settings s = ScalingBench.settings(Map.of("workers", "4", "slots", "4", "floats", Integer.toString(floats),
                "wires", "fp32", "topk-density", "0.01", "halving", "true", "warmup", "1", "calls", "2"));
        List<Map<String, Object>> lines;
        try (JavaSparkContext sc = SparkJobs.context(new SparkMaster("local[4]"), "scaling-bench-slots")) {
            lines = ScalingBench.run(sc, s);
        }
        assertEquals(List.of("dense-fp32", "topk", "halving-fp32"), lines.stream().map(m -> m.get("case")).toList());
        double[] sent = lines.stream().mapToDouble(m -> ((Number) m.get("bytes_per_worker_call")).doubleValue()).toArray();
        assertEquals(0.0, sent[0], "one JVM: the dense sum in memory");
        assertEquals(0.0, sent[2], "one JVM: no leaders to halve among");
        assertTrue(sent[1] >= 3 * floats * 0.01 * 8, "topk: each worker's pairs to the 3 others over Aeron: " + sent[1]);
        assertEquals(4, lines.get(0).get("slots"));
    }

    @Test
    void anUnknownKeyIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScalingBench.settings(Map.of("workers", "2", "flaots", "10")));
        assertTrue(e.getMessage().contains("[flaots]"), e.getMessage());
    }
}
