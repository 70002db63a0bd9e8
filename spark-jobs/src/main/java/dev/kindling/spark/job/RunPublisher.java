package dev.kindling.spark.job;

import dev.kindling.core.io.RunDirectory;
import dev.kindling.core.metrics.MetricsJson;
import dev.kindling.core.model.ModelStore;
import dev.kindling.core.train.StepTelemetry;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * Publishes a finished run in one rename: model.zip (config, provenance, manifest and tokenizer
 * inside), the EMA model, metrics.json, config.properties, provenance.json, telemetry.csv and the final
 * report.html (events.jsonl is already there: {@link RunLog} writes it while the run trains).
 */
final class RunPublisher {
    /** The EMA weights ({@code --ema-decay}) as a complete model beside model.zip. */
    static final String EMA_MODEL = "ema-model.zip";

    static void publish(HadoopStorage storage, TrainingPlan p, ComputationGraph net, Map<String, Object> metrics, List<String> steps,
                        ComputationGraph emaNet, RunLog log) throws IOException {
        byte[] config = p.config().properties().getBytes(StandardCharsets.UTF_8);
        byte[] provenance = log.provenance().getBytes(StandardCharsets.UTF_8); // the report shows the same
        Map<String, byte[]> extra = new LinkedHashMap<>();
        extra.put(ModelStore.CONFIG_ENTRY, config);
        extra.put(ModelStore.PROVENANCE_ENTRY, provenance);
        extra.put(ModelStore.MANIFEST_ENTRY, p.manifest().toJson());
        byte[] tokenizer = GenerateJob.tokenizerEntry(p.manifest());
        if (tokenizer != null) {
            extra.put(GenerateJob.TOKENIZER_ENTRY, tokenizer);
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("model.zip", ModelStore.toBytes(net, p.arch(), extra));
        if (emaNet != null) {
            files.put(EMA_MODEL, ModelStore.toBytes(emaNet, p.arch(), extra));
        }
        files.put("metrics.json", MetricsJson.pretty(metrics));
        files.put("config.properties", config);
        files.put("provenance.json", provenance);
        if (!steps.isEmpty()) {
            files.put("telemetry.csv", (StepTelemetry.HEADER + "\n" + String.join("\n", steps) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        files.put(RunLog.REPORT, log.finalReport(metrics));
        RunDirectory.publishFrom(storage, p.staging(), p.out(), files);
    }

    private RunPublisher() {}
}
