package dev.kindling.spark.job;

import dev.kindling.core.config.Config;
import dev.kindling.core.config.Keys;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.model.Architecture;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kindling demo [--model=NAME]}: the model's preset ({@code cluster-configs/jobs/<model>.properties}),
 * its dataset prepared under {@code <out>/data} when absent, a training run in a new
 * {@code <out>/run-<time>}, and an evaluation of the saved model.zip on the test split.
 */
public final class DemoJob {
    private static final Logger LOG = LoggerFactory.getLogger(DemoJob.class);

    /** Applies the preset of the model named in the flags (mlp when none). */
    static void applyPreset(Config.Builder b, Map<String, String> flags) {
        String model = Architecture.byName(flags.getOrDefault(Keys.MODEL.name(), Keys.MODEL.defaultValue())).cliName();
        String resource = "/presets/" + model + ".properties";
        Properties p = new Properties();
        try (InputStream in = DemoJob.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no preset " + resource + " in the job jar; every architecture needs cluster-configs/jobs/" + model + ".properties");
            }
            p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("preset " + resource + " unreadable", e);
        }
        Map<String, String> m = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k).trim()));
        b.apply(m, "in preset " + resource);
    }

    public static Map<String, Object> run(Config c) throws Exception {
        HadoopStorage storage = new HadoopStorage();
        String model = c.string(Keys.MODEL);
        String out = storage.qualify(c.stringOr(Keys.OUT, "runs/demo-" + model));
        String data = storage.child(out, "data");
        if (storage.exists(storage.child(data, Manifest.FILE))) {
            LOG.info("demo: reusing the dataset at {}", data);
        } else {
            LOG.info("demo: preparing {} at {}", c.string(Keys.DATASET), data);
            PrepareDataJob.run(c.with(Keys.OUT, data));
        }
        String run = storage.child(out, "run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        TrainJob.Result trained = TrainJob.run(c.with(Keys.DATA, data).with(Keys.OUT, run));
        Map<String, Object> evaluated = EvaluateJob.run(c.with(Keys.DATA, data).with(Keys.OUT, "")
                .with(Keys.MODEL_PATH, storage.child(run, "model.zip")).with(Keys.SPLIT, "test"));
        Map<String, Object> result = new LinkedHashMap<>(evaluated);
        result.put("run_dir", run);
        result.put("train_wall_s", trained.metrics().get("wall_s"));
        result.put("train_samples_per_s", trained.metrics().get("samples_per_s"));
        return result;
    }

    private DemoJob() {}
}
