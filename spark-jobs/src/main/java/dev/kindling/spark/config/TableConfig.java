package dev.kindling.spark.config;

import dev.kindling.core.config.Choice;
import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Setting;
import dev.kindling.core.config.Settings;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * {@code prepare-data --dataset=table}: which table format, and where each example's features, label
 * and split are.
 *
 * @param format         how the files at {@code --source-path} are read
 * @param featuresColumn an array (or Spark ML vector) column of each example's features; null: {@code featureColumns}
 * @param featureColumns numeric columns, one feature each; empty: {@code featuresColumn}
 * @param labelColumn    the class: integers 0..C-1, or strings (class names, in sorted order)
 * @param splitColumn    train | val | test per row; null: a seeded split
 * @param textColumn     a string column: each row's text is a document (dataset=text) or the example's tokens (dataset=table); null: none
 */
public record TableConfig(Format format, String featuresColumn, List<String> featureColumns, String labelColumn, String splitColumn,
                          String textColumn)
        implements Serializable {

    /** {@code --format}: how a table is stored. */
    public enum Format implements Choice {
        PARQUET, CSV
    }

    public static final Setting<Format> FORMAT = Setting.choice("format", Format.PARQUET, Format.class,
            "prepare-data table: parquet | csv (a header line; column types inferred)");
    public static final Setting<String> FEATURES_COLUMN = Setting.string("features-column", null,
            "prepare-data table: an array (or Spark ML vector) column holding each example's features; the first row's length is the width");
    public static final Setting<String> FEATURE_COLUMNS = Setting.string("feature-columns", null,
            "prepare-data table: comma-separated numeric columns, one feature each (instead of --features-column)");
    public static final Setting<String> LABEL_COLUMN = Setting.string("label-column", "label",
            "prepare-data table: the class column: integers 0..C-1, or strings (class names, numbered in sorted order)");
    public static final Setting<String> SPLIT_COLUMN = Setting.string("split-column", null,
            "prepare-data table: a column saying train, val (or validation) or test per row; absent: a seeded 90/5/5 split");
    public static final Setting<String> TEXT_COLUMN = Setting.string("text-column", null,
            "a string column of a Parquet or CSV table at --source-path: with --dataset=text each row is a document of a language-model corpus; "
                    + "with --dataset=table each row's text, tokenized and padded to --seq-len, is the example of a text classification "
                    + "dataset (encoder-classifier) with --label-column");
    public static final List<Setting<?>> SETTINGS = List.of(FORMAT, FEATURES_COLUMN, FEATURE_COLUMNS, LABEL_COLUMN, SPLIT_COLUMN, TEXT_COLUMN);

    public TableConfig {
        featureColumns = List.copyOf(featureColumns);
    }

    public static TableConfig from(Settings s) {
        String columns = s.get(FEATURE_COLUMNS);
        List<String> featureColumns = columns == null ? List.of()
                : Arrays.stream(columns.split(",")).map(String::trim).filter(c -> !c.isEmpty()).toList();
        return new TableConfig(s.require(FORMAT), s.get(FEATURES_COLUMN), featureColumns, s.require(LABEL_COLUMN), s.get(SPLIT_COLUMN),
                s.get(TEXT_COLUMN));
    }

    /** Exactly one of the three ways to name the features; called when the source is a table. */
    public void checkFeatures() {
        int ways = (featuresColumn != null ? 1 : 0) + (featureColumns.isEmpty() ? 0 : 1) + (textColumn != null ? 1 : 0);
        if (ways != 1) {
            throw new ConfigException("dataset=table: name the features one way: --features-column=<an array column>, "
                    + "--feature-columns=<a,b,c> (numeric columns) or --text-column=<a string column>" + (ways == 0 ? "" : ", not several"));
        }
    }
}
