package dev.kindling.core.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * {@code report.html}: one self-contained page per run (or one overlaying several runs), built from
 * its {@code events.jsonl}, and once it has finished its {@code metrics.json}, config and provenance.
 * Everything is inline (CSS and SVG, no script, nothing fetched), so it opens from HDFS copies, mail
 * attachments and air-gapped machines alike. While the run trains the page reloads itself.
 */
public final class RunReport {
    /** Seconds between reloads of a live report. */
    static final int RELOAD_SECONDS = 15;

    /**
     * What a report is made of.
     *
     * @param name       how the run is named on the page (its directory)
     * @param events     its events, in file order
     * @param metrics    its metrics.json, or null while it trains
     * @param config     its config.properties text, or null
     * @param provenance its provenance.json text, or null
     */
    public record Run(String name, List<JsonNode> events, JsonNode metrics, String config, String provenance) {
        /** A run's name on the page: the last segment of its directory's path. */
        public static String nameOf(String runDir) {
            String trimmed = runDir.replaceAll("/+$", "");
            return trimmed.substring(trimmed.lastIndexOf('/') + 1);
        }

        public List<JsonNode> epochs() {
            return events.stream().filter(RunEvents::isEpoch).toList();
        }

        /** One point per optimizer step: [iteration, example-weighted loss, samples, slowest step ms, loss scale]. */
        List<double[]> steps() {
            TreeMap<Double, double[]> byIteration = new TreeMap<>();
            for (JsonNode e : events) {
                if (!RunEvents.isStep(e)) {
                    continue;
                }
                double samples = RunEvents.num(e, "samples");
                double[] s = byIteration.computeIfAbsent(RunEvents.num(e, "iteration"), k -> new double[] {k, 0, 0, Double.NaN, Double.NaN});
                s[1] += samples * RunEvents.num(e, "loss");
                s[2] += samples;
                double ms = RunEvents.num(e, "step_ms");
                s[3] = Double.isNaN(s[3]) ? ms : Double.isNaN(ms) ? s[3] : Math.max(s[3], ms);
                s[4] = RunEvents.num(e, "loss_scale");
            }
            List<double[]> out = new ArrayList<>();
            for (double[] s : byIteration.values()) {
                s[1] = s[2] > 0 ? s[1] / s[2] : Double.NaN;
                out.add(s);
            }
            return out;
        }

        String model() {
            return metrics != null ? metrics.path("model").asText("") : property("model");
        }

        private String property(String key) {
            if (config == null) {
                return "";
            }
            return config.lines().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1)).findFirst().orElse("");
        }
    }

    /** The page of one run; {@code live} while it trains (the page reloads itself). */
    public static String single(Run run, boolean live) {
        StringBuilder b = head("Kindling run " + run.name(), live);
        List<JsonNode> epochs = run.epochs();
        List<double[]> steps = run.steps();
        b.append("<h1>").append(Html.escape(run.name())).append("</h1><p class=\"status\">");
        b.append(live ? "training: " + epochs.size() + " epoch(s) done; this page reloads every " + RELOAD_SECONDS + " s"
                : "finished: " + epochs.size() + " epoch(s)");
        if (run.metrics() != null) {
            JsonNode m = run.metrics();
            b.append(" · model ").append(Html.escape(m.path("model").asText())).append(" · dataset ").append(Html.escape(m.path("dataset").asText()))
                    .append(" · dist ").append(Html.escape(m.path("dist").asText())).append(" · ").append(m.path("workers").asInt()).append(" worker(s)");
        }
        b.append("</p><div class=\"grid\">");
        double[] epochX = column(epochs, e -> RunEvents.num(e, "epoch"));
        chart(b, new SvgChart("loss-per-step", "Training loss per step (mean over the replicas)", "step", "loss")
                .add("train loss", col(steps, 0, 1), col(steps, 1, 0)));
        chart(b, new SvgChart("loss-per-epoch", "Loss per epoch", "epoch", "loss")
                .add("train", epochX, column(epochs, e -> RunEvents.num(e, "train_loss")))
                .add("validation", epochX, column(epochs, e -> RunEvents.num(e, "val_loss"))));
        taskChart(b, run, List.of(run));
        chart(b, new SvgChart("lr", "Learning rate at each epoch's start", "epoch", "learning rate")
                .add("lr", epochX, column(epochs, e -> RunEvents.num(e, "lr"))));
        chart(b, new SvgChart("throughput", "Throughput", "epoch", "samples/s").add("samples/s", epochX, throughput(epochs)));
        chart(b, new SvgChart("step-time", "Step time (the slowest replica's, per step)", "step", "ms")
                .add("step ms", col(steps, 0, 1), col(steps, 3, 0)));
        rankCharts(b, run.events());
        chart(b, new SvgChart("loss-scale", "fp16 loss scale", "step", "scale").add("loss scale", col(steps, 0, 1), col(steps, 4, 0)));
        b.append("</div>");
        if (run.metrics() != null) {
            finalMetrics(b, run.metrics());
        }
        if (run.metrics() != null) {
            samples(b, run.metrics().path("samples"));
        }
        text(b, "Configuration", run.config());
        text(b, "Provenance", run.provenance());
        return b.append("</body></html>\n").toString();
    }

    /**
     * Several runs on shared axes, for comparing masters, encodings or settings: validation loss and the
     * task metric per epoch, training loss against examples seen, and a table of final metrics, time to
     * the target accuracy (the lowest of the runs' best, so every run reaches it) and bytes sent.
     */
    public static String overlay(List<Run> runs) {
        StringBuilder b = head("Kindling runs compared", false);
        b.append("<h1>").append(runs.size()).append(" runs compared</h1><div class=\"grid\">");
        SvgChart val = new SvgChart("val-loss", "Validation loss per epoch", "epoch", "loss");
        SvgChart train = new SvgChart("train-loss", "Training loss against examples seen", "examples", "loss");
        SvgChart speed = new SvgChart("throughput", "Throughput", "epoch", "samples/s");
        for (Run r : runs) {
            List<JsonNode> epochs = r.epochs();
            double[] epochX = column(epochs, e -> RunEvents.num(e, "epoch"));
            val.add(r.name(), epochX, column(epochs, e -> RunEvents.num(e, "val_loss")));
            List<double[]> steps = r.steps();
            double[] seen = new double[steps.size()];
            double total = 0;
            for (int i = 0; i < seen.length; i++) {
                total += steps.get(i)[2];
                seen[i] = total;
            }
            train.add(r.name(), seen, col(steps, 1, 0));
            speed.add(r.name(), epochX, throughput(epochs));
        }
        chart(b, val);
        taskChart(b, runs.get(0), runs);
        chart(b, train);
        chart(b, speed);
        b.append("</div>");
        double target = Double.POSITIVE_INFINITY;
        for (Run r : runs) {
            target = Math.min(target, r.epochs().stream().mapToDouble(e -> RunEvents.num(e, "val_accuracy")).filter(Double::isFinite).max()
                    .orElse(Double.NaN));
        }
        List<List<String>> rows = new ArrayList<>();
        for (Run r : runs) {
            JsonNode m = r.metrics() == null ? MissingNode.getInstance() : r.metrics();
            JsonNode fin = m.path("final");
            rows.add(List.of(r.name(), r.model(), m.path("dist").asText(""), m.path("comm").path("encoding").asText(""),
                    m.path("workers").asText(""), String.valueOf(r.epochs().size()), Html.number(fin.path("accuracy").asDouble(Double.NaN)),
                    Html.number(fin.path("loss").asDouble(Double.NaN)), Html.number(m.path("wall_s").asDouble(Double.NaN)),
                    timeTo(r.epochs(), target), Html.number(m.path("comm").path("bytes_sent").asDouble(Double.NaN))));
        }
        b.append("<h2>Final metrics</h2>").append(Html.table("runs", List.of("run", "model", "dist", "encoding", "workers", "epochs",
                "test accuracy", "test loss", "wall s", "s to val accuracy " + (Double.isNaN(target) ? "n/a" : Html.number(target)),
                "bytes sent"), rows));
        return b.append("</body></html>\n").toString();
    }

    /** Seconds of training until the first epoch whose validation accuracy reached {@code target}. */
    static String timeTo(List<JsonNode> epochs, double target) {
        double seconds = 0;
        for (JsonNode e : epochs) {
            seconds += RunEvents.num(e, "seconds");
            if (RunEvents.num(e, "val_accuracy") >= target) {
                return Html.number(Math.round(seconds * 10) / 10.0);
            }
        }
        return "not reached";
    }

    /** Validation accuracy per epoch where the task has one; the language model's perplexity otherwise. */
    private static void taskChart(StringBuilder b, Run first, List<Run> runs) {
        boolean accuracy = runs.stream().flatMap(r -> r.epochs().stream()).anyMatch(e -> Double.isFinite(RunEvents.num(e, "val_accuracy")));
        SvgChart c = accuracy ? new SvgChart("task-metric", "Validation accuracy", "epoch", "accuracy")
                : new SvgChart("task-metric", "Validation perplexity (e^loss)", "epoch", "perplexity");
        if (!accuracy && !first.model().equals("gpt")) {
            return;
        }
        for (Run r : runs) {
            List<JsonNode> epochs = r.epochs();
            c.add(runs.size() == 1 ? (accuracy ? "val accuracy" : "val perplexity") : r.name(), column(epochs, e -> RunEvents.num(e, "epoch")),
                    column(epochs, e -> accuracy ? RunEvents.num(e, "val_accuracy") : Math.exp(RunEvents.num(e, "val_loss"))));
        }
        chart(b, c);
    }

    /** Kindling's master: each rank's own step time and its wait in the all-reduce, per epoch. */
    private static void rankCharts(StringBuilder b, List<JsonNode> events) {
        Map<Integer, List<double[]>> byRank = new TreeMap<>();
        Map<Integer, String> where = new TreeMap<>();
        for (JsonNode e : events) {
            if (!"ranks".equals(e.path("event").asText())) {
                continue;
            }
            for (Iterator<JsonNode> it = e.path("ranks").elements(); it.hasNext(); ) {
                JsonNode r = it.next();
                double steps = Math.max(1, r.path("steps").asDouble());
                byRank.computeIfAbsent(r.path("rank").asInt(), k -> new ArrayList<>()).add(new double[] {e.path("epoch").asDouble(),
                        1e3 * r.path("compute_s").asDouble() / steps, 1e3 * r.path("wait_s").asDouble() / steps});
                where.put(r.path("rank").asInt(), r.path("executor").asText() + "@" + r.path("host").asText());
            }
        }
        if (byRank.isEmpty()) {
            return;
        }
        SvgChart own = new SvgChart("rank-compute", "Own step time per rank (stragglers stand out)", "epoch", "ms per step");
        SvgChart wait = new SvgChart("rank-wait", "Wait in the all-reduce per rank", "epoch", "ms per step");
        for (Map.Entry<Integer, List<double[]>> r : byRank.entrySet()) {
            String name = "rank " + r.getKey() + " (executor " + where.get(r.getKey()) + ")";
            own.add(name, col(r.getValue(), 0, 0), col(r.getValue(), 1, 0));
            wait.add(name, col(r.getValue(), 0, 0), col(r.getValue(), 2, 0));
        }
        chart(b, own);
        chart(b, wait);
    }

    private static void finalMetrics(StringBuilder b, JsonNode m) {
        JsonNode fin = m.path("final");
        List<List<String>> rows = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = fin.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getValue().isNumber()) {
                rows.add(List.of(f.getKey(), Html.number(f.getValue().asDouble())));
            }
        }
        rows.add(List.of("wall seconds", Html.number(m.path("wall_s").asDouble(Double.NaN))));
        rows.add(List.of("samples/s", Html.number(m.path("samples_per_s").asDouble(Double.NaN))));
        b.append("<h2>Test split</h2>").append(Html.table("metrics", List.of("metric", "value"), rows));
        JsonNode confusion = fin.path("confusion");
        if (confusion.isArray() && confusion.size() > 0) {
            List<String> names = new ArrayList<>();
            List<List<String>> perClass = new ArrayList<>();
            for (JsonNode c : fin.path("per_class")) {
                names.add(c.path("class").asText());
                perClass.add(List.of(c.path("class").asText(), Html.number(c.path("precision").asDouble(Double.NaN)),
                        Html.number(c.path("recall").asDouble(Double.NaN)), Html.number(c.path("f1").asDouble(Double.NaN))));
            }
            b.append("<h2>Confusion matrix (rows: actual, columns: predicted)</h2><div class=\"grid\">").append(Heatmap.svg(confusion, names));
            b.append(Html.table("per-class", List.of("class", "precision", "recall", "f1"), perClass)).append("</div>");
        }
        JsonNode comm = m.path("comm");
        if (comm.isObject()) {
            List<List<String>> c = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = comm.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getValue().isValueNode()) {
                    c.add(List.of(f.getKey(), f.getValue().isNumber() ? Html.number(f.getValue().asDouble()) : f.getValue().asText()));
                }
            }
            b.append("<h2>Communication</h2>").append(Html.table("comm", List.of("what", "value"), c));
        }
    }

    /** A language model's generated text, one block per sample with its seed. */
    private static void samples(StringBuilder b, JsonNode samples) {
        if (!samples.isArray() || samples.isEmpty()) {
            return;
        }
        b.append("<h2>Generated samples</h2>");
        for (JsonNode s : samples) {
            b.append("<p>seed ").append(s.path("seed").asLong()).append(", temperature ").append(Html.number(s.path("temperature").asDouble()))
                    .append(", ").append(s.path("new_tokens").asInt()).append(" new tokens after a new line</p><pre class=\"sample\">")
                    .append(Html.escape(s.path("text").asText())).append("</pre>");
        }
    }

    private static void text(StringBuilder b, String title, String text) {
        if (text != null && !text.isBlank()) {
            b.append("<h2>").append(title).append("</h2><pre>").append(Html.escape(text)).append("</pre>");
        }
    }

    private static void chart(StringBuilder b, SvgChart c) {
        if (c.hasData()) {
            b.append("<figure>").append(c.svg()).append("</figure>");
        }
    }

    private static StringBuilder head(String title, boolean live) {
        StringBuilder b = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        if (live) {
            b.append("<meta http-equiv=\"refresh\" content=\"").append(RELOAD_SECONDS).append("\">");
        }
        b.append("<title>").append(Html.escape(title)).append("</title><style>")
                .append("body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}")
                .append(".grid{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;border:1px solid #ddd;border-radius:4px}")
                .append("svg .title{font-weight:600;font-size:13px}svg .tick,svg .legend{font-size:11px;fill:#444}svg .label{font-size:12px}")
                .append("svg .axis{stroke:#444}svg .grid{stroke:#eee}table{border-collapse:collapse;margin:8px 0}")
                .append("td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f5f5f5}td:first-child{text-align:left}")
                .append("pre{background:#f7f7f7;padding:8px;overflow:auto;max-height:320px}.status{color:#555}")
                .append("</style></head><body>");
        return b;
    }

    private static double[] column(List<JsonNode> events, ToDoubleFunction<JsonNode> f) {
        return events.stream().mapToDouble(f).toArray();
    }

    /** Column {@code c} of the rows; {@code plus} is added (1 turns 0-based iterations into step numbers). */
    private static double[] col(List<double[]> rows, int c, double plus) {
        return rows.stream().mapToDouble(r -> r[c] + plus).toArray();
    }

    /** Each epoch's samples/s, from the run's sample totals and the epoch's seconds. */
    private static double[] throughput(List<JsonNode> epochs) {
        double[] out = new double[epochs.size()];
        double before = 0;
        for (int i = 0; i < out.length; i++) {
            double samples = RunEvents.num(epochs.get(i), "samples");
            out[i] = (samples - before) / RunEvents.num(epochs.get(i), "seconds");
            before = samples;
        }
        return out;
    }

    private RunReport() {}
}
