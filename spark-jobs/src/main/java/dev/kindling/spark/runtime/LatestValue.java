package dev.kindling.spark.runtime;

import java.io.Serializable;
import org.apache.spark.util.AccumulatorV2;

/**
 * A Spark accumulator that holds the last value a task set, not a sum. Spark's executors send every
 * running task's accumulators to the driver with each heartbeat
 * ({@code spark.executor.heartbeatInterval}), so a driver-side listener sees the value while the
 * task still runs ({@link DriverProgress}); accumulators are otherwise merged only when a task ends.
 * Meant for one writing task at a time: of several, the last merged wins.
 */
public final class LatestValue<T extends Serializable> extends AccumulatorV2<T, T> {
    private static final long serialVersionUID = 1L;
    private volatile T value;

    @Override
    public boolean isZero() {
        return value == null;
    }

    @Override
    public LatestValue<T> copy() {
        LatestValue<T> c = new LatestValue<>();
        c.value = value;
        return c;
    }

    @Override
    public void reset() {
        value = null;
    }

    @Override
    public void add(T v) {
        value = v;
    }

    @Override
    public void merge(AccumulatorV2<T, T> other) {
        if (other.value() != null) {
            value = other.value();
        }
    }

    @Override
    public T value() {
        return value;
    }
}
