package dev.kindling.spark.config;

import dev.kindling.core.config.Setting;
import dev.kindling.core.config.Settings;
import dev.kindling.core.config.SettingsLoader;
import dev.kindling.core.model.ModelConfig;
import dev.kindling.core.optim.OptimConfig;
import dev.kindling.core.schedule.ScheduleConfig;
import java.io.Serializable;
import java.util.List;

/**
 * What {@code doctor} takes: a model to diagnose before training, and optionally a saved model and a run.
 *
 * @param model     architecture and topology
 * @param optim     the optimizer of the overfit-one-batch check (one minibatch per step)
 * @param lr        its learning rate
 * @param data      dataset URI
 * @param modelPath a saved model to check for NaN/Inf; null: none
 * @param run       a run directory whose history is read; null: none
 * @param out       where doctor.json goes; null: stdout only
 * @param seed      initialisation seed
 */
public record DoctorConfig(ModelConfig model, OptimConfig optim, double lr, String data, String modelPath, String run, String out, long seed)
        implements Serializable {
    public static final Setting<String> RUN = Setting.string("run", null,
            "doctor: a train run directory whose metrics.json history the troubleshooting table reads");

    public static final List<Setting<?>> SETTINGS = SettingsLoader.union(ModelConfig.SETTINGS, OptimConfig.SETTINGS,
            List.of(ScheduleConfig.LR, RunConfig.DATA, EvaluateConfig.MODEL_PATH, RUN, RunConfig.OUT, RunConfig.SEED));

    public static DoctorConfig from(Settings s) {
        return new DoctorConfig(ModelConfig.from(s), OptimConfig.from(s).withoutAccumulation(), s.require(ScheduleConfig.LR),
                s.require(RunConfig.DATA), s.get(EvaluateConfig.MODEL_PATH), s.get(RUN), s.get(RunConfig.OUT), s.require(RunConfig.SEED));
    }
}
