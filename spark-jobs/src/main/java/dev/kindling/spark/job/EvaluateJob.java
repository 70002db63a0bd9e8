package dev.kindling.spark.job;

import dev.kindling.core.config.Config;
import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Keys;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Shards;
import dev.kindling.core.io.RunDirectory;
import dev.kindling.core.model.ModelStore;
import dev.kindling.core.train.ClassificationMetrics;
import dev.kindling.core.train.Evaluator;
import dev.kindling.core.train.MetricsJson;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.master.DistributedEvaluation;
import java.io.IOException;
import java.io.StringReader;
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

    public static Map<String, Object> run(Config c) throws Exception {
        String dist = c.oneOf(Keys.DIST, List.of("shared", "averaging", "local"));
        String split = c.oneOf(Keys.SPLIT, List.of("train", "val", "test"));
        HadoopStorage storage = new HadoopStorage();
        String modelPath = storage.qualify(c.string(Keys.MODEL_PATH));
        String data = storage.qualify(c.string(Keys.DATA));
        String out = c.has(Keys.OUT) ? storage.qualify(c.string(Keys.OUT)) : null;
        if (out != null) {
            RunDirectory.checkAbsent(storage, out);
        }
        Manifest m = Shards.manifest(storage, data);
        m.split(split);
        if (!storage.exists(modelPath)) {
            throw new ConfigException("model-path=" + modelPath + ": not found; point it at the model.zip in a train run directory");
        }
        ModelStore.Loaded model = ModelStore.fromBytes(storage.readAll(modelPath), modelPath);
        checkFits(model, m, modelPath, data);
        List<String> shards = Shards.paths(storage, data, m, split, null);
        ClassificationMetrics metrics;
        if (dist.equals("local")) {
            metrics = Evaluator.evaluate(model.graph(), m.numClasses(), shards.stream().map(p -> Shards.load(storage, p)).iterator());
        } else {
            try (JavaSparkContext sc = SparkJobs.context(c, "evaluate")) {
                metrics = DistributedEvaluation.evaluate(sc, model.graph(), shards, m.numClasses());
            }
        }
        LOG.info("evaluate: {} on {} ({} examples, dist={}): accuracy {} loss {}", modelPath, split, metrics.count(), dist,
                String.format("%.4f", metrics.accuracy()), String.format("%.4f", metrics.loss()));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("model", trainedModelName(model));
        result.put("model_path", modelPath);
        result.put("dataset", m.name());
        result.put("split", split);
        result.put("dist", dist);
        result.put("final", metrics.toJson(m.classNames()));
        if (out != null) {
            RunDirectory.publish(storage, out, Map.of("metrics.json", MetricsJson.pretty(result)));
        }
        return result;
    }

    /** The model's training manifest must describe the same inputs and classes as the data's. */
    static void checkFits(ModelStore.Loaded model, Manifest data, String modelPath, String dataUri) {
        String json = model.text(ModelStore.MANIFEST_ENTRY);
        if (json == null) {
            throw new ConfigException("model-path=" + modelPath + ": has no " + ModelStore.MANIFEST_ENTRY + ", so it was not written by kindling train; retrain it with Kindling");
        }
        Manifest trained = Manifest.fromJson(json.getBytes(java.nio.charset.StandardCharsets.UTF_8), modelPath);
        if (!Arrays.equals(trained.featureShape(), data.featureShape()) || trained.numClasses() != data.numClasses()
                || trained.binary() != data.binary()) {
            throw new ConfigException("data=" + dataUri + ": features " + Arrays.toString(data.featureShape()) + " with "
                    + data.numClasses() + " classes, but the model was trained on " + Arrays.toString(trained.featureShape())
                    + " with " + trained.numClasses() + " classes (" + trained.name() + "); evaluate it on a dataset like " + trained.name());
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
        return p.getProperty(Keys.MODEL.name(), "unknown");
    }

    private EvaluateJob() {}
}
