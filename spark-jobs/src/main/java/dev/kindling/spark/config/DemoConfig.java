package dev.kindling.spark.config;

import dev.kindling.core.config.Settings;
import dev.kindling.core.config.SettingsLoader;
import java.io.Serializable;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.apache.hadoop.fs.Path;

/**
 * What {@code demo} takes: a model's preset with the user's keys over it, as the three runs it makes:
 * the dataset under {@code <out>/data}, a training run in a new {@code <out>/run-<time>}, and an
 * evaluation of that run's model.zip on the test split.
 *
 * @param out      the demo directory
 * @param prepare  the dataset, written when absent
 * @param train    the training run
 * @param evaluate the evaluation of its model
 */
public record DemoConfig(String out, PrepareConfig prepare, TrainConfig train, EvaluateConfig evaluate) implements Serializable {
    public static final List<dev.kindling.core.config.Setting<?>> SETTINGS = SettingsLoader.union(TrainConfig.SETTINGS, PrepareConfig.SETTINGS);

    public static DemoConfig from(Settings s) {
        String out = s.has(RunConfig.OUT) ? s.require(RunConfig.OUT) : "runs/demo-" + s.require(dev.kindling.core.model.ModelConfig.MODEL).cliName();
        String data = new Path(out, "data").toString();
        String run = new Path(out, "run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))).toString();
        TrainConfig train = TrainConfig.from(s.with(RunConfig.DATA, data).with(RunConfig.OUT, run));
        EvaluateConfig evaluate = new EvaluateConfig(List.of(new Path(run, "model.zip").toString()), data, Split.TEST, train.dist().dist(),
                train.run().master(), null);
        return new DemoConfig(out, PrepareConfig.from(s.with(RunConfig.OUT, data)), train, evaluate);
    }
}
