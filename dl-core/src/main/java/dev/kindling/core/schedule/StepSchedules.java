package dev.kindling.core.schedule;

import java.util.Objects;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;

/**
 * DL4J {@link ISchedule} adapters for {@link WarmupCosine}, {@link OneCycle} and {@link StepDecay}.
 * Each holds primitive fields only (DL4J writes them to JSON with the network configuration; Spark's
 * Kryo ships them to executors and cannot serialize records) and rebuilds the pure function to
 * evaluate it. The per-step ones read DL4J's iteration counter (under gradient accumulation the
 * {@code Accumulate} updater passes the optimizer step); step decay reads the epoch.
 */
public final class StepSchedules {

    @JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
            isGetterVisibility = JsonAutoDetect.Visibility.NONE, setterVisibility = JsonAutoDetect.Visibility.NONE)
    public static final class WarmupCosineSchedule implements ISchedule {
        private static final long serialVersionUID = 1L;
        private double baseLr;
        private int warmup;
        private int total;
        private double minRatio;

        private WarmupCosineSchedule() {
        }

        public WarmupCosineSchedule(WarmupCosine f) {
            baseLr = f.baseLr();
            warmup = f.warmup();
            total = f.total();
            minRatio = f.minRatio();
        }

        public WarmupCosine function() {
            return new WarmupCosine(baseLr, warmup, total, minRatio);
        }

        @Override
        public double valueAt(int iteration, int epoch) {
            return function().valueAt(iteration);
        }

        @Override
        public ISchedule clone() {
            return new WarmupCosineSchedule(function());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof WarmupCosineSchedule s && s.function().equals(function());
        }

        @Override
        public int hashCode() {
            return function().hashCode();
        }

        @Override
        public String toString() {
            return function().toString();
        }
    }

    @JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
            isGetterVisibility = JsonAutoDetect.Visibility.NONE, setterVisibility = JsonAutoDetect.Visibility.NONE)
    public static final class OneCycleSchedule implements ISchedule {
        private static final long serialVersionUID = 1L;
        private double maxLr;
        private int total;
        private double pctStart;
        private double divFactor;
        private double finalDivFactor;

        private OneCycleSchedule() {
        }

        public OneCycleSchedule(OneCycle f) {
            maxLr = f.maxLr();
            total = f.total();
            pctStart = f.pctStart();
            divFactor = f.divFactor();
            finalDivFactor = f.finalDivFactor();
        }

        public OneCycle function() {
            return new OneCycle(maxLr, total, pctStart, divFactor, finalDivFactor);
        }

        @Override
        public double valueAt(int iteration, int epoch) {
            return function().valueAt(iteration);
        }

        @Override
        public ISchedule clone() {
            return new OneCycleSchedule(function());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof OneCycleSchedule s && s.function().equals(function());
        }

        @Override
        public int hashCode() {
            return function().hashCode();
        }

        @Override
        public String toString() {
            return function().toString();
        }
    }

    @JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
            isGetterVisibility = JsonAutoDetect.Visibility.NONE, setterVisibility = JsonAutoDetect.Visibility.NONE)
    public static final class StepDecaySchedule implements ISchedule {
        private static final long serialVersionUID = 1L;
        private double baseLr;
        private int stepSize;
        private double gamma;

        private StepDecaySchedule() {
        }

        public StepDecaySchedule(StepDecay f) {
            baseLr = f.baseLr();
            stepSize = f.stepSize();
            gamma = f.gamma();
        }

        public StepDecay function() {
            return new StepDecay(baseLr, stepSize, gamma);
        }

        @Override
        public double valueAt(int iteration, int epoch) {
            return function().valueAt(epoch);
        }

        @Override
        public ISchedule clone() {
            return new StepDecaySchedule(function());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof StepDecaySchedule s && s.function().equals(function());
        }

        @Override
        public int hashCode() {
            return Objects.hash(function());
        }

        @Override
        public String toString() {
            return function().toString();
        }
    }

    private StepSchedules() {}
}
