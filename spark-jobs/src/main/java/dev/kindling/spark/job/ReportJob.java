package dev.kindling.spark.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kindling.core.config.ConfigException;
import dev.kindling.core.io.RunDirectory;
import dev.kindling.core.report.RunEvents;
import dev.kindling.core.report.RunReport;
import dev.kindling.spark.config.ReportConfig;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code kindling report}: rebuilds the report of one run (finished, or still training in
 * {@code <out>.partial}) in its directory, or overlays several runs into one page.
 */
public final class ReportJob {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static Map<String, Object> run(ReportConfig c) throws IOException {
        HadoopStorage storage = new HadoopStorage();
        List<RunReport.Run> runs = new ArrayList<>();
        String only = null;
        boolean live = false;
        for (String given : c.runs()) {
            String dir = storage.qualify(given);
            if (!storage.exists(dir) && storage.exists(RunDirectory.staging(dir))) {
                dir = RunDirectory.staging(dir); // still training
                live = true;
            } else if (!storage.exists(dir)) {
                throw new ConfigException("runs=" + given + ": no run directory there (nor " + RunDirectory.staging(given)
                        + "); pass the --out of a train run");
            }
            runs.add(read(storage, dir, given));
            only = dir;
        }
        String html = runs.size() == 1 ? RunReport.single(runs.get(0), live) : RunReport.overlay(runs);
        String out = c.out() != null ? storage.qualify(c.out()) : storage.child(only, RunLog.REPORT);
        storage.replace(out, html.getBytes(StandardCharsets.UTF_8));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("report", out);
        result.put("runs", runs.stream().map(RunReport.Run::name).toList());
        result.put("epochs", runs.stream().map(r -> r.epochs().size()).toList());
        return result;
    }

    /** A run as the report reads it; a run from before events.jsonl gets its epochs from metrics.json's history. */
    static RunReport.Run read(HadoopStorage storage, String dir, String name) throws IOException {
        List<JsonNode> events = new ArrayList<>(RunEvents.read(storage, dir));
        JsonNode metrics = readJson(storage, storage.child(dir, "metrics.json"));
        if (events.isEmpty() && metrics != null) {
            for (JsonNode h : metrics.path("history")) {
                ObjectNode e = h.deepCopy();
                e.put("event", "epoch");
                events.add(e);
            }
        }
        return new RunReport.Run(RunReport.Run.nameOf(name), events, metrics, text(storage, storage.child(dir, "config.properties")),
                text(storage, storage.child(dir, "provenance.json")));
    }

    private static JsonNode readJson(HadoopStorage storage, String file) throws IOException {
        String t = text(storage, file);
        return t == null ? null : JSON.readTree(t);
    }

    private static String text(HadoopStorage storage, String file) throws IOException {
        return storage.exists(file) ? new String(storage.readAll(file), StandardCharsets.UTF_8) : null;
    }

    private ReportJob() {}
}
