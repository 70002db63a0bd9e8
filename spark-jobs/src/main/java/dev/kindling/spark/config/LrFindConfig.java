package dev.kindling.spark.config;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Range;
import dev.kindling.core.config.Setting;
import dev.kindling.core.config.Settings;
import dev.kindling.core.config.SettingsLoader;
import dev.kindling.core.model.ModelConfig;
import dev.kindling.core.optim.OptimConfig;
import java.io.Serializable;
import java.util.List;

/**
 * What {@code lr-find} takes: a fresh model of {@code model} swept over learning rates with {@code optim}.
 *
 * @param model  architecture and topology
 * @param optim  the optimizer swept (one minibatch per step)
 * @param data   dataset URI
 * @param out    where lr-find.csv/.svg/.json go
 * @param start  first rate
 * @param end    last rate
 * @param steps  minibatches of the sweep
 * @param seed   initialisation seed
 */
public record LrFindConfig(ModelConfig model, OptimConfig optim, String data, String out, double start, double end, int steps, long seed)
        implements Serializable {
    public static final Setting<Double> LR_START = Setting.real("lr-start", "1e-7", Range.above(0), "lr-find: first learning rate of the sweep");
    public static final Setting<Double> LR_END = Setting.real("lr-end", "10", Range.above(0), "lr-find: last learning rate of the sweep (> lr-start)");
    public static final Setting<Integer> LR_STEPS = Setting.integer("lr-steps", 100, Range.atLeast(2),
            "lr-find: minibatches of the sweep; it stops early once the loss exceeds 4x the best");

    public static final List<Setting<?>> SETTINGS = SettingsLoader.union(ModelConfig.SETTINGS, OptimConfig.SETTINGS,
            List.of(RunConfig.DATA, RunConfig.OUT, LR_START, LR_END, LR_STEPS, RunConfig.SEED));

    public LrFindConfig {
        if (end <= start) {
            throw new ConfigException("lr-end=" + end + ": must be above lr-start=" + start);
        }
    }

    public static LrFindConfig from(Settings s) {
        return new LrFindConfig(ModelConfig.from(s), OptimConfig.from(s).withoutAccumulation(), s.require(RunConfig.DATA),
                s.require(RunConfig.OUT), s.require(LR_START), s.require(LR_END), s.require(LR_STEPS), s.require(RunConfig.SEED));
    }
}
