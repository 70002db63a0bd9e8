package dev.kindling.core.schedule;

import java.util.Objects;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * DL4J adapter for {@link CosineAnnealing}: an {@link ISchedule} keyed on the epoch
 * ({@link ScheduleType#EPOCH}), serialized with the network configuration (JSON, model zip,
 * Spark executors). Pass it to an updater, e.g. {@code new Adam(new CosineAnnealingSchedule(...))}.
 * DL4J's epoch counter is the network's {@code epochCount}, advanced by {@code fit(iterator)} or
 * {@code incrementEpochCount()}. The fields are primitives, not the record: Spark's Kryo 4 cannot
 * serialize Java records, and the configuration travels to executors through it.
 */
public final class CosineAnnealingSchedule implements ISchedule {
    private final double baseLr;
    private final int tMax;
    private final double minLr;

    public CosineAnnealingSchedule(@JsonProperty("baseLr") double baseLr, @JsonProperty("tMax") int tMax,
                                   @JsonProperty("minLr") double minLr) {
        this(new CosineAnnealing(baseLr, tMax, minLr));
    }

    public CosineAnnealingSchedule(CosineAnnealing cosine) {
        Objects.requireNonNull(cosine, "cosine");
        this.baseLr = cosine.baseLr();
        this.tMax = cosine.tMax();
        this.minLr = cosine.minLr();
    }

    @JsonIgnore
    public CosineAnnealing cosine() {
        return new CosineAnnealing(baseLr, tMax, minLr);
    }

    @JsonProperty("baseLr")
    public double getBaseLr() {
        return baseLr;
    }

    @JsonProperty("tMax")
    public int getTMax() {
        return tMax;
    }

    @JsonProperty("minLr")
    public double getMinLr() {
        return minLr;
    }

    @JsonProperty("scheduleType")
    public ScheduleType getScheduleType() {
        return ScheduleType.EPOCH;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        return cosine().valueAt(epoch);
    }

    @Override
    public ISchedule clone() {
        return new CosineAnnealingSchedule(cosine());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CosineAnnealingSchedule other && cosine().equals(other.cosine());
    }

    @Override
    public int hashCode() {
        return cosine().hashCode();
    }

    @Override
    public String toString() {
        return "CosineAnnealingSchedule" + cosine();
    }
}
