package dev.kindling.spark.config;

import dev.kindling.core.config.Settings;
import dev.kindling.core.config.SettingsLoader;
import dev.kindling.core.model.ModelConfig;
import dev.kindling.core.optim.OptimConfig;
import dev.kindling.core.schedule.ScheduleConfig;
import java.io.Serializable;
import java.util.List;

/**
 * Everything {@code train} (and {@code preflight}) takes, checked when built.
 *
 * @param run        data, run directory, length, checkpoints
 * @param model      architecture and topology
 * @param optim      optimizer and step craft
 * @param schedule   learning rate
 * @param dist       engine and transport
 * @param properties the resolved settings as {@code key=value} lines, saved as the run's config.properties
 */
public record TrainConfig(RunConfig run, ModelConfig model, OptimConfig optim, ScheduleConfig schedule, DistConfig dist,
                          String properties) implements Serializable {
    public static final List<dev.kindling.core.config.Setting<?>> SETTINGS = SettingsLoader.union(RunConfig.SETTINGS, ModelConfig.SETTINGS,
            OptimConfig.SETTINGS, ScheduleConfig.SETTINGS, DistConfig.SETTINGS);

    public static TrainConfig from(Settings s) {
        return new TrainConfig(RunConfig.from(s), ModelConfig.from(s), OptimConfig.from(s), ScheduleConfig.from(s), DistConfig.from(s),
                s.toProperties());
    }

    /** The same with another run part (auto-resume, the demo's directories). */
    public TrainConfig with(RunConfig newRun) {
        return new TrainConfig(newRun, model, optim, schedule, dist, properties);
    }
}
