package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.spark.config.TestSettings;
import dev.kindling.spark.config.TrainConfig;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plan's per-step schedule spans the optimizer steps the run really takes. */
class TrainingPlanTest {

    @Test
    void aPerStepScheduleWithoutTotalStepsSpansTheRoundsOfTheWorkers(@TempDir Path dir) throws Exception {
        String data = dir.resolve("sum").toString();
        assertEquals(0, Cli.run("prepare-data", "--dataset=seed-sum", "--out=" + data).exit()); // 25 train shards
        TrainConfig c = TrainConfig.from(TestSettings.of("data", data, "out", dir.resolve("run").toString(), "dist", "shared",
                "epochs", "2", "schedule", "warmup-cosine", "warmup-steps", "2", "lr", "1e-2", "min-lr-ratio", "0.1"));
        TrainingPlan one = TrainingPlan.of(c, new HadoopStorage());
        TrainingPlan two = one.forReplicas(2);
        assertEquals(25, one.stepsPerEpoch(1));
        assertEquals(13, two.stepsPerEpoch(2), "25 shards in rounds of 2, the last padded");
        double floor = 1e-2 * 0.1;
        // the run's last optimizer step under 2 workers: 2 epochs x 13 rounds
        assertEquals(floor, two.lr().schedule().valueAt(26, 2), 1e-12, "the schedule has decayed to its floor when the run ends");
        assertTrue(one.lr().schedule().valueAt(26, 2) > 3 * floor, "a schedule built for one replica is still high at that step");
        assertEquals(two.lrAt(2, 2), two.lr().atEpochStart(2, 13), 0.0);
    }
}
