package dev.kindling.core.train;

import dev.kindling.core.precision.DynamicLossScale;
import dev.kindling.core.precision.LossScaling;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Per-step timings from wherever DL4J trains (the local loop or a Spark worker's replicas), split at
 * the points DL4J's listener callbacks expose: {@code forward} runs from the previous step's end to the
 * forward pass's end (so it includes waiting for the minibatch), {@code backward} to the end of
 * back-propagation, {@code update} to the step's end (gradient hooks such as clipping, the updater,
 * and in the shared master the threshold encoding and sending of the update). With fp16 each record
 * also carries the loss scale after the step and whether the step was skipped ({@link LossScaling}).
 * The last column is the minibatch's loss as the replica computed it.
 *
 * <p>Records go to a queue in the JVM that trained; {@link #drain()} takes them (a Spark job drains
 * the executors' queues). The shared master keeps its executor-side listeners across epochs, so a
 * static queue, not a Spark accumulator, is what survives.
 */
public final class StepTelemetry extends BaseTrainingListener implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final ConcurrentLinkedQueue<String> RECORDS = new ConcurrentLinkedQueue<>();
    /** CSV columns of every record. */
    public static final String HEADER = "worker,epoch,iteration,samples,step_ms,forward_ms,backward_ms,update_ms,loss_scale,skipped,loss";
    private static final int TIMING_COLUMNS = 8;
    private static final int SAMPLES_COLUMN = 3;
    private static final int LOSS_COLUMN = 10;

    private final String worker;
    private transient ThreadLocal<long[]> marks; // [previous end, forward end, backward end]

    public StepTelemetry(String worker) {
        this.worker = worker;
    }

    private long[] marks() {
        if (marks == null) {
            marks = ThreadLocal.withInitial(() -> new long[] {-1, -1, -1});
        }
        return marks.get();
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        marks()[1] = System.nanoTime();
    }

    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
        marks()[1] = System.nanoTime();
    }

    @Override
    public void onBackwardPass(Model model) {
        marks()[2] = System.nanoTime();
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        long now = System.nanoTime();
        long[] m = marks();
        if (m[1] > 0 && m[2] >= m[1]) {
            // a thread's first step has no previous end: its step and forward times are left empty
            boolean first = m[0] <= 0 || m[0] > m[1];
            String who = worker + "/" + Thread.currentThread().getName();
            DynamicLossScale scale = LossScaling.stateOf(model);
            RECORDS.add(who + "," + epoch + "," + iteration + "," + model.batchSize() + "," + (first ? "" : ms(now - m[0])) + ","
                    + (first ? "" : ms(m[1] - m[0])) + "," + ms(m[2] - m[1]) + "," + ms(now - m[2]) + ","
                    + (scale == null ? "," : scale.scale() + "," + (scale.lastSkipped() ? 1 : 0)) + "," + model.score());
        }
        m[0] = now;
    }

    /** This run's records among others queued in the same JVM (earlier runs, other jobs). */
    public List<String> ownRecords(List<String> records) {
        return records.stream().filter(r -> r.startsWith(worker + "/")).toList();
    }

    /** A fresh listener for one run; workers append their thread name. */
    public static StepTelemetry forRun() {
        return new StepTelemetry(UUID.randomUUID().toString().substring(0, 8));
    }

    /** Takes every record queued in this JVM. */
    public static List<String> drain() {
        List<String> out = new ArrayList<>();
        for (String r = RECORDS.poll(); r != null; r = RECORDS.poll()) {
            out.add(r);
        }
        return out;
    }

    /**
     * The example-weighted mean of the records' minibatch losses: an epoch's training loss where its
     * master reports none (DL4J's shared master); NaN without records.
     */
    public static double meanLoss(List<String> records) {
        double sum = 0;
        double samples = 0;
        for (String r : records) {
            String[] cols = r.split(",", -1);
            double n = Double.parseDouble(cols[SAMPLES_COLUMN]);
            sum += n * Double.parseDouble(cols[LOSS_COLUMN]);
            samples += n;
        }
        return samples == 0 ? Double.NaN : sum / samples;
    }

    /** Medians and tails of the records, for metrics.json's {@code telemetry} block. */
    public static Map<String, Object> summary(List<String> records) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", records.size());
        m.put("worker_threads", records.stream().map(r -> r.substring(0, r.indexOf(','))).distinct().count());
        String[] cols = HEADER.split(",");
        for (int c = 4; c < TIMING_COLUMNS; c++) {
            int col = c;
            double[] v = records.stream().map(r -> r.split(",", -1)[col]).filter(x -> !x.isEmpty())
                    .mapToDouble(Double::parseDouble).sorted().toArray();
            m.put("median_" + cols[c], quantile(v, 0.5));
            if (c == 4) {
                m.put("p90_step_ms", quantile(v, 0.9));
            }
        }
        List<String[]> scaled = records.stream().map(r -> r.split(",", -1)).filter(r -> !r[TIMING_COLUMNS].isEmpty()).toList();
        if (!scaled.isEmpty()) { // fp16: the loss-scaling counters
            m.put("skipped_steps", scaled.stream().filter(r -> r[TIMING_COLUMNS + 1].equals("1")).count());
            m.put("min_loss_scale", scaled.stream().mapToDouble(r -> Double.parseDouble(r[TIMING_COLUMNS])).min().orElseThrow());
            m.put("last_loss_scale", Double.parseDouble(scaled.get(scaled.size() - 1)[TIMING_COLUMNS]));
        }
        return m;
    }

    static double quantile(double[] sorted, double q) {
        return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
    }

    /** Milliseconds with 3 decimals ({@code 12.345}); four per step, so no {@code String.format}. */
    static String ms(long nanos) {
        long us = Math.round(nanos / 1e3);
        String frac = Long.toString(Math.abs(us) % 1000);
        return (us < 0 ? "-" : "") + Math.abs(us) / 1000 + "." + "000".substring(frac.length()) + frac;
    }
}
