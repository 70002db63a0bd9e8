package dev.kindling.core.schedule;

import dev.kindling.core.config.ConfigException;
import org.nd4j.linalg.schedule.FixedSchedule;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * {@code --schedule}: the learning-rate schedule a run uses, as the DL4J {@link ISchedule} its
 * updater carries, plus the rate at an epoch start for the progress log.
 *
 * @param name     which schedule
 * @param schedule the DL4J adapter
 */
public record LrSchedules(Schedule name, ISchedule schedule) {

    /**
     * @param stepsPerEpoch optimizer steps per epoch, for {@code --total-steps=0}
     * @param epochs        epochs of the run
     */
    public static LrSchedules from(ScheduleConfig c, long stepsPerEpoch, int epochs) {
        double lr = c.lr();
        int total = c.totalSteps() > 0 ? c.totalSteps() : (int) Math.max(2, Math.min(Integer.MAX_VALUE, stepsPerEpoch * epochs));
        ISchedule schedule = switch (c.schedule()) {
            case COSINE -> new CosineAnnealingSchedule(c.cosine());
            case WARMUP_COSINE -> {
                if (c.warmupSteps() >= total) {
                    throw new ConfigException("warmup-steps=" + c.warmupSteps() + ": must be below the schedule's " + total
                            + " total steps; lower --warmup-steps or raise --total-steps/--epochs");
                }
                yield new StepSchedules.WarmupCosineSchedule(new WarmupCosine(lr, c.warmupSteps(), total, c.minLrRatio()));
            }
            case ONECYCLE -> new StepSchedules.OneCycleSchedule(OneCycle.of(lr, total, c.pctStart()));
            case STEP -> new StepSchedules.StepDecaySchedule(new StepDecay(lr, c.stepSize(), c.gamma()));
            case CONSTANT -> new FixedSchedule(lr);
        };
        return new LrSchedules(c.schedule(), schedule);
    }

    /** Whether it is keyed on the optimizer step (else on the epoch). */
    public boolean perStep() {
        return name.perStep();
    }

    /** The rate at the start of {@code epoch} (step {@code epoch * stepsPerEpoch} for per-step schedules). */
    public double atEpochStart(int epoch, long stepsPerEpoch) {
        return schedule.valueAt((int) Math.min(Integer.MAX_VALUE, epoch * stepsPerEpoch), epoch);
    }
}
