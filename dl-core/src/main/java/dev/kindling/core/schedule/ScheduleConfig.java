package dev.kindling.core.schedule;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Range;
import dev.kindling.core.config.Setting;
import dev.kindling.core.config.Settings;
import java.io.Serializable;
import java.util.List;

/**
 * The learning rate and its schedule: {@code --lr}, {@code --schedule} and each schedule's knobs.
 *
 * @param lr         base (or peak, for onecycle) learning rate
 * @param schedule   the shape
 * @param tMax       cosine: period in epochs
 * @param minLr      cosine: floor ({@code < lr})
 * @param warmupSteps warmup-cosine: steps of linear warmup
 * @param totalSteps warmup-cosine, onecycle: steps the schedule spans; 0: epochs x steps per epoch
 * @param minLrRatio warmup-cosine: floor as a fraction of lr
 * @param pctStart   onecycle: fraction of the steps spent rising
 * @param stepSize   step: epochs between drops
 * @param gamma      step: factor per drop
 */
public record ScheduleConfig(double lr, Schedule schedule, int tMax, double minLr, int warmupSteps, int totalSteps, double minLrRatio,
                             double pctStart, int stepSize, double gamma) implements Serializable {
    public static final Setting<Double> LR = Setting.real("lr", "1e-3", Range.above(0), "base learning rate (onecycle: the peak; gpt's default: 3e-4, the seed's)");
    public static final Setting<Schedule> SCHEDULE = Setting.choice("schedule", Schedule.COSINE, Schedule.class,
            "learning-rate schedule: cosine (per epoch: --t-max, --min-lr) | warmup-cosine (per step: --warmup-steps, --total-steps, --min-lr-ratio) | onecycle (per step: --lr is the peak, --total-steps, --pct-start) | step (per epoch: --step-size, --gamma) | constant");
    public static final Setting<Integer> T_MAX = Setting.integer("t-max", 50, Range.atLeast(1),
            "cosine: annealing period in epochs, PyTorch CosineAnnealingLR's T_max");
    public static final Setting<Double> MIN_LR = Setting.real("min-lr", "0", Range.atLeast(0), "cosine: annealing floor eta_min (< lr)");
    public static final Setting<Integer> WARMUP_STEPS = Setting.integer("warmup-steps", 100, Range.atLeast(0),
            "warmup-cosine: optimizer steps of linear warmup");
    public static final Setting<Integer> TOTAL_STEPS = Setting.integer("total-steps", 0, Range.atLeast(0),
            "warmup-cosine, onecycle: optimizer steps the schedule spans; 0 derives it from epochs x steps per epoch");
    public static final Setting<Double> MIN_LR_RATIO = Setting.real("min-lr-ratio", "0.1", Range.closed(0, 1),
            "warmup-cosine: floor of the decay as a fraction of --lr");
    public static final Setting<Double> PCT_START = Setting.real("pct-start", "0.3", Range.open(0, 1),
            "onecycle: fraction of the steps spent rising to --lr");
    public static final Setting<Integer> STEP_SIZE = Setting.integer("step-size", 30, Range.atLeast(1), "step: epochs between learning-rate drops");
    public static final Setting<Double> GAMMA = Setting.real("gamma", "0.1", Range.openClosed(0, 1), "step: factor applied every --step-size epochs");

    public static final List<Setting<?>> SETTINGS = List.of(LR, SCHEDULE, T_MAX, MIN_LR, WARMUP_STEPS, TOTAL_STEPS, MIN_LR_RATIO, PCT_START,
            STEP_SIZE, GAMMA);

    public ScheduleConfig {
        if (minLr >= lr) {
            throw new ConfigException("min-lr=" + minLr + ": must be below lr=" + lr);
        }
    }

    public static ScheduleConfig from(Settings s) {
        return new ScheduleConfig(s.require(LR), s.require(SCHEDULE), s.require(T_MAX), s.require(MIN_LR), s.require(WARMUP_STEPS),
                s.require(TOTAL_STEPS), s.require(MIN_LR_RATIO), s.require(PCT_START), s.require(STEP_SIZE), s.require(GAMMA));
    }

    /** The cosine annealing this config describes (the per-epoch schedule the progress log and scratch trainer use). */
    public CosineAnnealing cosine() {
        return new CosineAnnealing(lr, tMax, minLr);
    }
}
