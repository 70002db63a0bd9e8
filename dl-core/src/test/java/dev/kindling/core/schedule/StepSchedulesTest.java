package dev.kindling.core.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.SettingsLoader;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.schedule.ISchedule;

class StepSchedulesTest {

    /** The seed's get_cosine_schedule_with_warmup(warmup_steps=100, total_steps=1000, min_lr_ratio=0.1) on lr 3e-4. */
    @ParameterizedTest
    @CsvSource({"0, 0", "50, 1.5e-4", "99, 2.97e-4", "100, 3e-4", "325, 2.5606601717798212e-4", "550, 1.5e-4",
            "900, 3e-5", "1000, 3e-5", "5000, 1.2395277334996063e-4"})
    void warmupCosineHasTheSeedsValuesAtChosenSteps(int step, double expected) {
        assertEquals(expected, WarmupCosine.tutorial().valueAt(step), 1e-15);
    }

    /** PyTorch OneCycleLR(max_lr=0.1, total_steps=100) defaults: pct_start 0.3, cos, div 25, final div 1e4. */
    @ParameterizedTest
    @CsvSource({"0, 0.004", "10, 0.029516394846410082", "29, 0.1", "64, 0.0500002", "99, 4e-7", "150, 4e-7"})
    void oneCycleHasPyTorchsValuesAtChosenSteps(int step, double expected) {
        assertEquals(expected, OneCycle.of(0.1, 100, 0.3).valueAt(step), 1e-15);
    }

    @ParameterizedTest
    @CsvSource({"0, 0.1", "29, 0.1", "30, 0.01", "59, 0.01", "60, 0.001", "95, 0.0001"})
    void stepDecayDropsByGammaEveryStepSizeEpochs(int epoch, double expected) {
        assertEquals(expected, new StepDecay(0.1, 30, 0.1).valueAt(epoch), 1e-15);
    }

    @Test
    void perStepAdaptersReadTheIterationAndStepDecayTheEpoch() {
        assertEquals(1.5e-4, new StepSchedules.WarmupCosineSchedule(WarmupCosine.tutorial()).valueAt(50, 7), 1e-15);
        assertEquals(0.1, new StepSchedules.OneCycleSchedule(OneCycle.of(0.1, 100, 0.3)).valueAt(29, 0), 1e-15);
        assertEquals(0.01, new StepSchedules.StepDecaySchedule(new StepDecay(0.1, 30, 0.1)).valueAt(1_000_000, 30), 1e-15);
    }

    @Test
    void everyAdapterSurvivesJsonInsideAnUpdaterInsideAGraph() {
        for (ISchedule s : List.of(new StepSchedules.WarmupCosineSchedule(WarmupCosine.tutorial()),
                new StepSchedules.OneCycleSchedule(OneCycle.of(0.1, 100, 0.3)), new StepSchedules.StepDecaySchedule(new StepDecay(0.1, 30, 0.1)))) {
            ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().updater(new Adam(s)).graphBuilder()
                    .addInputs("in").addLayer("out", new OutputLayer.Builder().nIn(2).nOut(2).build(), "in").setOutputs("out").build();
            ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
            assertEquals(conf, back, s.toString());
            ISchedule restored = ((Adam) ((org.deeplearning4j.nn.conf.layers.BaseLayer) ((org.deeplearning4j.nn.conf.graph.LayerVertex)
                    back.getVertices().get("out")).getLayerConf().getLayer()).getIUpdater()).getLearningRateSchedule();
            for (int i : new int[] {0, 17, 99, 640}) {
                assertEquals(s.valueAt(i, i / 10), restored.valueAt(i, i / 10), 0.0, s + " at " + i);
            }
        }
    }

    @Test
    void configChoosesTheScheduleAndDerivesTotalStepsFromTheRun() {
        ScheduleConfig c = ScheduleConfig.from(new SettingsLoader(ScheduleConfig.SETTINGS).set(ScheduleConfig.SCHEDULE, "warmup-cosine")
                .set(ScheduleConfig.LR, "3e-4").set(ScheduleConfig.WARMUP_STEPS, "100").load());
        LrSchedules s = LrSchedules.from(c, 100, 10); // 1000 steps
        assertTrue(s.perStep());
        assertEquals(WarmupCosine.tutorial(), ((StepSchedules.WarmupCosineSchedule) s.schedule()).function());
        assertEquals(1.5e-4, s.atEpochStart(5, 110), 1e-15); // step 550
        ConfigException e = assertThrows(ConfigException.class, () -> LrSchedules.from(c, 5, 10));
        assertTrue(e.getMessage().startsWith("warmup-steps=100"), e.getMessage());
    }
}
