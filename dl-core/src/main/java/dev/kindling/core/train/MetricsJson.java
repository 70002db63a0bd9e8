package dev.kindling.core.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code metrics.json} as DESIGN.md's contract gives it; NaN (not reported) becomes null. */
public final class MetricsJson {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper LINE = new ObjectMapper();

    public static Map<String, Object> train(String model, String dataset, String dist, int workers, int epochsRun,
                                            EpochLoop.Outcome outcome, double wallSeconds,
                                            Map<String, Object> finalMetrics, Map<String, Object> comm) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("dataset", dataset);
        m.put("dist", dist);
        m.put("workers", workers);
        m.put("epochs", epochsRun);
        m.put("steps", outcome.steps());
        m.put("wall_s", wallSeconds);
        m.put("samples_per_s", outcome.samples() / Math.max(outcome.fitSeconds(), 1e-9));
        m.put("best_epoch", outcome.bestEpoch() + 1);
        m.put("stopped_early", outcome.stoppedEarly());
        m.put("final", finalMetrics);
        List<Map<String, Object>> history = new ArrayList<>();
        for (EpochLoop.EpochRecord r : outcome.history()) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("epoch", r.epoch() + 1);
            h.put("train_loss", orNull(r.trainLoss()));
            h.put("val_loss", orNull(r.valLoss()));
            h.put("val_accuracy", orNull(r.valAccuracy()));
            h.put("lr", r.lr());
            h.put("seconds", r.seconds());
            history.add(h);
        }
        m.put("history", history);
        if (comm != null) {
            m.put("comm", comm);
        }
        return m;
    }

    public static byte[] pretty(Map<String, Object> m) {
        try {
            return JSON.writeValueAsBytes(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One line, for stdout's last line. */
    public static String line(Map<String, Object> m) {
        try {
            return LINE.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static Object orNull(double v) {
        return Double.isNaN(v) ? null : v;
    }

    private MetricsJson() {}
}
