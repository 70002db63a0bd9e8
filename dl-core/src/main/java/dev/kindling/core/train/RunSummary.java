package dev.kindling.core.train;

import dev.kindling.core.metrics.MetricsJson;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A train run's {@code metrics.json} as DESIGN.md's contract gives it: the run, its final metrics and its epoch history. */
public final class RunSummary {

    public static Map<String, Object> of(String model, String dataset, String dist, int workers, int epochsRun,
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
            h.put("train_loss", MetricsJson.orNull(r.trainLoss()));
            h.put("val_loss", MetricsJson.orNull(r.valLoss()));
            h.put("val_accuracy", MetricsJson.orNull(r.valAccuracy()));
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

    private RunSummary() {}
}
