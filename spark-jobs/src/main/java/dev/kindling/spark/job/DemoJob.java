package dev.kindling.spark.job;

import dev.kindling.core.config.SettingsLoader;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.model.Architecture;
import dev.kindling.spark.config.DemoConfig;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
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

    /** The preset of {@code model}: cluster-configs/jobs/&lt;model&gt;.properties, packed into the job jar. */
    static Map<String, String> preset(Architecture model) {
        String resource = "/presets/" + model.cliName() + ".properties";
        Properties p = new Properties();
        try (InputStream in = DemoJob.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no preset " + resource + " in the job jar; every architecture needs cluster-configs/jobs/"
                        + model.cliName() + ".properties");
            }
            p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("preset " + resource + " unreadable", e);
        }
        return SettingsLoader.properties(p);
    }

    public static Map<String, Object> run(DemoConfig c) throws Exception {
        HadoopStorage storage = new HadoopStorage();
        String data = storage.qualify(c.prepare().out());
        if (storage.exists(storage.child(data, Manifest.FILE))) {
            LOG.info("demo: reusing the dataset at {}", data);
        } else {
            LOG.info("demo: preparing {} at {}", c.prepare().dataset().cliName(), data);
            PrepareDataJob.run(c.prepare());
        }
        TrainJob.Result trained = TrainJob.run(c.train());
        Map<String, Object> evaluated = EvaluateJob.run(c.evaluate());
        Map<String, Object> result = new LinkedHashMap<>(evaluated);
        result.put("run_dir", trained.out());
        result.put("train_wall_s", trained.metrics().get("wall_s"));
        result.put("train_samples_per_s", trained.metrics().get("samples_per_s"));
        return result;
    }

    private DemoJob() {}
}
