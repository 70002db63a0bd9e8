package dev.kindling.spark.allreduce;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TopKTest {
    private static final long SEED_GPT = 4_882_688;

    @Test
    void sparseSharingIsNamedHeavierThanDenseBf16OnceWorkersTimesDensityPassesOneHalf() {
        assertNull(TopK.heavierThanDense(2, SEED_GPT, 0.004), "2 workers: 0.008 x 8 bytes against 2 bytes a value");
        assertNull(TopK.heavierThanDense(125, SEED_GPT, 0.004), "N d = 0.5: equal bytes, not heavier");
        String at512 = TopK.heavierThanDense(512, SEED_GPT, 0.004);
        assertTrue(at512 != null && at512.contains("512 workers") && at512.contains("4.1x") && at512.contains("--wire=bf16")
                && at512.contains("density below 0.00098"), at512);
        assertNull(TopK.heavierThanDense(1, SEED_GPT, 1.0), "one worker sends nothing");
    }
}
