package dev.kindling.spark.config;

import dev.kindling.core.config.Choice;
import dev.kindling.core.config.Setting;
import dev.kindling.core.config.Settings;
import java.io.Serializable;
import java.util.List;

/**
 * What {@code infer} takes.
 *
 * @param modelPath model.zip URI
 * @param data      input URI: a prepared dataset, a CSV or a Parquet table
 * @param out       predictions (Parquet) URI
 * @param format    the input's format
 * @param split     a prepared dataset's split
 * @param dist      local predicts in this JVM, anything else on the executors
 * @param master    the Spark master
 */
public record InferConfig(String modelPath, String data, String out, Format format, Split split, Dist dist, SparkMaster master)
        implements Serializable {

    /** {@code --format}: what {@code --data} holds. */
    public enum Format implements Choice {
        AUTO, SHARDS, CSV, PARQUET
    }

    public static final Setting<Format> FORMAT = Setting.choice("format", Format.AUTO, Format.class,
            "infer: input format: auto | shards (a prepared dataset) | csv (header; optional id, label columns) | parquet (a 'features' array column)");

    public static final List<Setting<?>> SETTINGS = List.of(EvaluateConfig.MODEL_PATH, RunConfig.DATA, RunConfig.OUT, FORMAT, Split.SPLIT,
            DistConfig.DIST, SparkMaster.MASTER);

    public static InferConfig from(Settings s) {
        return new InferConfig(s.require(EvaluateConfig.MODEL_PATH), s.require(RunConfig.DATA), s.require(RunConfig.OUT), s.require(FORMAT),
                s.require(Split.SPLIT), s.require(DistConfig.DIST), s.require(SparkMaster.MASTER));
    }
}
