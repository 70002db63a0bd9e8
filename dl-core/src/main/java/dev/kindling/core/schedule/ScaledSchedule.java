package dev.kindling.core.schedule;

import java.util.Objects;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Another schedule times a constant: a parameter group's learning rate that follows the network's
 * schedule at a fraction of it (the seed's ResNet50 fine-tuning: layer4 at 1e-4 and layer3 at 5e-5
 * while the head trains at 1e-3). Plain fields, serialized with the configuration like any schedule.
 */
public final class ScaledSchedule implements ISchedule {
    private final ISchedule base;
    private final double factor;

    /** @param factor multiplier (> 0) */
    public ScaledSchedule(@JsonProperty("base") ISchedule base, @JsonProperty("factor") double factor) {
        this.base = Objects.requireNonNull(base, "base");
        if (!(factor > 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("factor=" + factor + ": must be finite and > 0");
        }
        this.factor = factor;
    }

    @JsonProperty("base")
    public ISchedule getBase() {
        return base;
    }

    @JsonProperty("factor")
    public double getFactor() {
        return factor;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        return factor * base.valueAt(iteration, epoch);
    }

    @Override
    public ISchedule clone() {
        return new ScaledSchedule(base.clone(), factor);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScaledSchedule s && s.factor == factor && s.base.equals(base);
    }

    @Override
    public int hashCode() {
        return Objects.hash(base, factor);
    }

    @Override
    public String toString() {
        return factor + " x " + base;
    }
}
