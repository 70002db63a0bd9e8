package dev.kindling.core.schedule;

import dev.kindling.core.config.Config;
import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Keys;
import java.util.List;
import org.nd4j.linalg.schedule.FixedSchedule;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * {@code --schedule}: the learning-rate schedule a run uses, as the DL4J {@link ISchedule} its
 * updater carries, plus the rate at an epoch start for the progress log.
 *
 * @param schedule the DL4J adapter
 * @param perStep  whether it is keyed on the optimizer step (else on the epoch)
 */
public record LrSchedules(String name, ISchedule schedule, boolean perStep) {
    public static final List<String> NAMES = List.of("cosine", "warmup-cosine", "onecycle", "step", "constant");

    /**
     * @param stepsPerEpoch optimizer steps per epoch, for {@code --total-steps=0}
     * @param epochs        epochs of the run
     */
    public static LrSchedules from(Config c, long stepsPerEpoch, int epochs) {
        String name = c.oneOf(Keys.SCHEDULE, NAMES);
        double lr = c.doubleValue(Keys.LR, v -> v > 0);
        int total = c.intValue(Keys.TOTAL_STEPS, n -> n >= 0);
        if (total == 0) {
            total = (int) Math.max(2, Math.min(Integer.MAX_VALUE, stepsPerEpoch * epochs));
        }
        return switch (name) {
            case "cosine" -> new LrSchedules(name, new CosineAnnealingSchedule(new CosineAnnealing(lr, c.intValue(Keys.T_MAX, n -> n >= 1),
                    c.doubleValue(Keys.MIN_LR, v -> v >= 0 && v < lr))), false);
            case "warmup-cosine" -> {
                int warmup = c.intValue(Keys.WARMUP_STEPS, n -> n >= 0);
                if (warmup >= total) {
                    throw new ConfigException("warmup-steps=" + warmup + ": must be below the schedule's " + total
                            + " total steps; lower --warmup-steps or raise --total-steps/--epochs");
                }
                yield new LrSchedules(name, new StepSchedules.WarmupCosineSchedule(new WarmupCosine(lr, warmup, total,
                        c.doubleValue(Keys.MIN_LR_RATIO, v -> v >= 0 && v <= 1))), true);
            }
            case "onecycle" -> new LrSchedules(name, new StepSchedules.OneCycleSchedule(OneCycle.of(lr, total,
                    c.doubleValue(Keys.PCT_START, v -> v > 0 && v < 1))), true);
            case "step" -> new LrSchedules(name, new StepSchedules.StepDecaySchedule(new StepDecay(lr, c.intValue(Keys.STEP_SIZE, n -> n >= 1),
                    c.doubleValue(Keys.GAMMA, v -> v > 0 && v <= 1))), false);
            default -> new LrSchedules(name, new FixedSchedule(lr), false);
        };
    }

    /** The rate at the start of {@code epoch} (step {@code epoch * stepsPerEpoch} for per-step schedules). */
    public double atEpochStart(int epoch, long stepsPerEpoch) {
        return schedule.valueAt((int) Math.min(Integer.MAX_VALUE, epoch * stepsPerEpoch), epoch);
    }
}
