package dev.kindling.spark.runtime;

import dev.kindling.core.train.EpochProgress;
import dev.kindling.core.train.ProgressLine;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import scala.Tuple4;
import scala.collection.Iterator;

/**
 * The driver's progress line for work that trains on the executors. The training task sets an
 * {@link EpochProgress} into {@link #sink()} after every step; the executor's heartbeats carry it to
 * the driver, where this listener shows it ({@link ProgressLine}). Lines are therefore as fresh as
 * {@code spark.executor.heartbeatInterval} (Kindling sets 5 s unless the cluster sets it).
 */
public final class DriverProgress extends SparkListener implements AutoCloseable {
    private final JavaSparkContext sc;
    private final LatestValue<EpochProgress> sink = new LatestValue<>();
    private final ProgressLine out;
    private final int epochs;
    private volatile EpochProgress last;

    private DriverProgress(JavaSparkContext sc, int epochs, ProgressLine out) {
        this.sc = sc;
        this.epochs = epochs;
        this.out = out;
    }

    /** Registers the accumulator and the listener; {@link #close} removes the listener. */
    public static DriverProgress start(JavaSparkContext sc, int epochs, ProgressLine out) {
        DriverProgress p = new DriverProgress(sc, epochs, out);
        sc.sc().register(p.sink, "kindling-progress");
        sc.sc().addSparkListener(p);
        return p;
    }

    /** What the training task sets; it travels inside the task's closure. */
    public LatestValue<EpochProgress> sink() {
        return sink;
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        Iterator<Tuple4<Object, Object, Object, scala.collection.Seq<AccumulableInfo>>> tasks = update.accumUpdates().iterator();
        while (tasks.hasNext()) {
            Iterator<AccumulableInfo> infos = tasks.next()._4().iterator();
            while (infos.hasNext()) {
                AccumulableInfo info = infos.next();
                if (info.id() == sink.id() && info.update().isDefined() && info.update().get() instanceof EpochProgress p) {
                    last = p;
                    out.offer(() -> p.line(epochs), false);
                }
            }
        }
    }

    /** Shows the epoch's final state, as the driver knows it, and ends the line. */
    public void epochEnded(EpochProgress atEnd) {
        out.offer(() -> atEnd.line(epochs), true);
        out.finish();
        last = null;
    }

    /** The last progress a heartbeat brought in the current epoch; null before the first. */
    public EpochProgress last() {
        return last;
    }

    @Override
    public void close() {
        out.finish();
        sc.sc().removeSparkListener(this);
    }
}
