package dev.kindling.spark.config;

import dev.kindling.core.config.Setting;
import dev.kindling.core.config.Settings;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * What {@code evaluate} takes.
 *
 * @param modelPaths one or more model.zip URIs (several are compared)
 * @param data       dataset URI
 * @param split      which split
 * @param dist       local evaluates in this JVM, anything else on the executors
 * @param master     the Spark master
 * @param out        where metrics.json goes; null: stdout only
 */
public record EvaluateConfig(List<String> modelPaths, String data, Split split, Dist dist, SparkMaster master, String out)
        implements Serializable {
    public static final Setting<String> MODEL_PATH = Setting.string("model-path", null,
            "evaluate, infer, generate, doctor: URI of a model.zip written by train (evaluate: several, comma-separated, compares them)");

    public static final List<Setting<?>> SETTINGS = List.of(MODEL_PATH, RunConfig.DATA, Split.SPLIT, DistConfig.DIST, SparkMaster.MASTER,
            RunConfig.OUT);

    public static EvaluateConfig from(Settings s) {
        return new EvaluateConfig(Arrays.stream(s.require(MODEL_PATH).split(",")).map(String::trim).filter(p -> !p.isEmpty()).toList(),
                s.require(RunConfig.DATA), s.require(Split.SPLIT), s.require(DistConfig.DIST), s.require(SparkMaster.MASTER), s.get(RunConfig.OUT));
    }
}
