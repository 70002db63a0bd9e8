package dev.kindling.spark.job;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Shards;
import dev.kindling.core.io.RunDirectory;
import dev.kindling.core.metrics.Evaluator;
import dev.kindling.core.metrics.MetricsJson;
import dev.kindling.core.metrics.TaskMetrics;
import dev.kindling.core.model.ModelConfig;
import dev.kindling.core.model.ModelStore;
import dev.kindling.spark.config.Dist;
import dev.kindling.spark.config.EvaluateConfig;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.runtime.DistributedEvaluation;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kindling evaluate --model-path=<zip> --data=<uri>}: loss, accuracy, per-class
 * precision/recall/F1 and the confusion matrix of a saved model on one split, on the executors
 * ({@code --dist=shared|averaging}) or in one JVM ({@code --dist=local}); both compute each shard
 * with the same {@link Evaluator}.
 */
public final class EvaluateJob {
    private static final Logger LOG = LoggerFactory.getLogger(EvaluateJob.class);

    public static Map<String, Object> run(EvaluateConfig c) throws Exception {
        String dist = c.dist().cliName();
        String split = c.split().cliName();
        HadoopStorage storage = new HadoopStorage();
        List<String> modelPaths = c.modelPaths().stream().map(storage::qualify).toList(); // EvaluateConfig dropped empty entries
        String data = storage.qualify(c.data());
        String out = c.out() != null && !c.out().isEmpty() ? storage.qualify(c.out()) : null;
        if (out != null) {
            RunDirectory.checkAbsent(storage, out);
        }
        Manifest m = Shards.manifest(storage, data);
        m.split(split);
        List<ModelStore.Loaded> models = new ArrayList<>();
        for (String modelPath : modelPaths) { // every model is checked before any evaluation starts
            SavedModel model = SavedModel.read(storage, modelPath);
            checkFits(model.trained(), m, modelPath, data);
            models.add(model.loaded());
        }
        List<String> shards = Shards.paths(storage, data, m, split, null);
        List<Map<String, Object>> results = new ArrayList<>();
        try (JavaSparkContext sc = c.dist() == Dist.LOCAL ? null : SparkJobs.context(c.master(), "evaluate")) {
            for (int i = 0; i < models.size(); i++) {
                ModelStore.Loaded model = models.get(i);
                if (sc != null) {
                    sc.setJobDescription("evaluate: " + modelPaths.get(i) + " on " + shards.size() + " " + split + " shards");
                }
                TaskMetrics metrics = sc == null
                        ? Evaluator.evaluate(model.graph(), m, shards.stream().map(p -> Shards.load(storage, p)).iterator())
                        : DistributedEvaluation.evaluate(sc, model.graph(), shards, m);
                LOG.info("evaluate: {} on {} (dist={}): accuracy {} loss {}", modelPaths.get(i), split,
                        dist, String.format("%.4f", metrics.accuracy()), String.format("%.4f", metrics.loss()));
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("model", trainedModelName(model));
                result.put("model_path", modelPaths.get(i));
                result.put("dataset", m.name());
                result.put("split", split);
                result.put("dist", dist);
                result.put("final", metrics.toJson());
                results.add(result);
            }
        }
        Map<String, Object> report = results.size() == 1 ? results.get(0) : comparison(results);
        if (out != null) {
            RunDirectory.publish(storage, out, Map.of("metrics.json", MetricsJson.pretty(report)));
        }
        return report;
    }

    /** Several models on one split: a table on the log, and every model's metrics. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> comparison(List<Map<String, Object>> results) {
        StringBuilder table = new StringBuilder(String.format("%n%-4s %-12s %9s %9s %9s  %s%n", "#", "model", "accuracy", "loss", "macro_f1", "model_path"));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            Map<String, Object> r = results.get(i);
            Map<String, Object> f = (Map<String, Object>) r.get("final");
            table.append(String.format("%-4d %-12s %9.4f %9.4f %9.4f  %s%n", i + 1, r.get("model"), (Double) f.get("accuracy"),
                    (Double) f.get("loss"), (Double) f.get("macro_f1"), r.get("model_path")));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("model", r.get("model"));
            row.put("model_path", r.get("model_path"));
            row.put("accuracy", f.get("accuracy"));
            row.put("loss", f.get("loss"));
            row.put("macro_f1", f.get("macro_f1"));
            rows.add(row);
        }
        LOG.info("evaluate: comparison{}", table);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("comparison", rows);
        report.put("models", results);
        return report;
    }

    /** The model's training manifest must describe the same inputs and classes as the data's. */
    static void checkFits(Manifest trained, Manifest data, String modelPath, String dataUri) {
        if (trained.task() != data.task() || !Arrays.equals(trained.featureShape(), data.featureShape())
                || !Arrays.equals(trained.labelShape(), data.labelShape()) || trained.numClasses() != data.numClasses()
                || trained.binary() != data.binary()) {
            throw new ConfigException("data=" + dataUri + ": " + data.task().id() + ", features " + Arrays.toString(data.featureShape())
                    + " with " + data.numClasses() + " classes, but the model was trained on " + trained.task().id() + ", "
                    + Arrays.toString(trained.featureShape()) + " with " + trained.numClasses() + " classes (" + trained.name() + "); evaluate it on a dataset like " + trained.name());
        }
    }

    static String trainedModelName(ModelStore.Loaded model) {
        String props = model.text(ModelStore.CONFIG_ENTRY);
        Properties p = new Properties();
        try {
            p.load(new StringReader(props == null ? "" : props));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return p.getProperty(ModelConfig.MODEL.name(), "unknown");
    }

    private EvaluateJob() {}
}
