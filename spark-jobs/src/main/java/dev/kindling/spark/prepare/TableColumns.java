package dev.kindling.spark.prepare;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.io.InputException;
import dev.kindling.core.layer.EncoderClassifierLayer;
import dev.kindling.core.text.Tokenizer;
import dev.kindling.spark.config.TableConfig;
import dev.kindling.spark.prepare.BadRecord.Reason;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegralType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;

/**
 * Where a table's examples are and how one row becomes one: planned on the driver from the table's
 * schema (the columns named exist and have types that can hold features, a class and a split; the
 * classes are the label column's distinct values), then used on the executors to read each row of
 * {@link #select}'s frame. A row that cannot become an example throws {@link BadRecord}.
 *
 * @param width      features per example
 * @param arrayColumn the features are one array (or vector) column, not one column each
 * @param classNames a name per class; class ids number them in this order
 * @param classIds   labels are the ids themselves (integers 0..C-1), not names
 * @param hasSplit   the frame carries a split column
 * @param text       the features are a text column's tokens: ids + {@link #TOKEN_OFFSET}, cut or padded to {@code width}
 * @param tokenizer  text: the serialized tokenizer (null until {@link #withTokenizer})
 */
record TableColumns(int width, boolean arrayColumn, List<String> classNames, boolean classIds, boolean hasSplit, boolean text, String tokenizer)
        implements Serializable {
    /** More distinct labels than this is a wrong column, not a classification task. */
    static final int MAX_CLASSES = 10_000;
    // the layout of select()'s frame
    static final int LABEL = 0;
    static final int SPLIT = 1;
    static final int FILE = 2;
    static final int FEATURES = 3;
    /** Text features: a token's id is the tokenizer's + 1, so that {@link EncoderClassifierLayer#PAD} (0) is padding. */
    static final int TOKEN_OFFSET = 1;

    /**
     * Checks {@code table} against {@code c} and plans its reading.
     *
     * @param seqLen text: tokens per example
     * @param what   the source, for messages
     */
    static TableColumns plan(Dataset<Row> table, TableConfig c, int seqLen, String what) {
        Map<String, StructField> fields = fields(table);
        List<String> names = Arrays.asList(table.columns());
        StructField label = column(fields, names, c.labelColumn(), "label-column", what);
        checkSplit(table, c, what);
        int width;
        if (c.textColumn() != null) {
            checkText(table, c, what);
            width = seqLen;
        } else if (c.featuresColumn() != null) {
            DataType t = column(fields, names, c.featuresColumn(), "features-column", what).dataType();
            if (!(t instanceof ArrayType a && a.elementType() instanceof NumericType) && !t.equals(SQLDataTypes.VectorType())) {
                throw new ConfigException("features-column=" + c.featuresColumn() + ": is " + t.simpleString() + " in " + what
                        + "; it must be an array of numbers or a Spark ML vector (a CSV has neither: name its columns with --feature-columns)");
            }
            List<Row> first = table.select(c.featuresColumn()).where(functions.col(c.featuresColumn()).isNotNull()).takeAsList(1);
            if (first.isEmpty()) {
                throw new InputException(what + ": no row has a value in " + c.featuresColumn() + "; is the table empty?");
            }
            width = first.get(0).get(0) instanceof Vector v ? v.size() : first.get(0).getList(0).size();
        } else {
            for (String name : c.featureColumns()) {
                DataType t = column(fields, names, name, "feature-columns", what).dataType();
                if (!(t instanceof NumericType) && !t.equals(DataTypes.StringType)) {
                    throw new ConfigException("feature-columns: " + name + " is " + t.simpleString() + " in " + what + "; a feature column must be numeric");
                }
            }
            width = c.featureColumns().size();
        }
        if (width == 0) {
            throw new InputException(what + ": the first row's " + c.featuresColumn() + " is empty; an example needs at least one feature");
        }
        return classes(table, label, c, width, what);
    }

    /** The text column exists and holds strings. */
    static void checkText(Dataset<Row> table, TableConfig c, String what) {
        DataType t = column(fields(table), Arrays.asList(table.columns()), c.textColumn(), "text-column", what).dataType();
        if (!t.equals(DataTypes.StringType)) {
            throw new ConfigException("text-column=" + c.textColumn() + ": is " + t.simpleString() + " in " + what + "; a text column holds strings");
        }
    }

    /** The split column exists, if one is named. */
    static void checkSplit(Dataset<Row> table, TableConfig c, String what) {
        if (c.splitColumn() != null) {
            column(fields(table), Arrays.asList(table.columns()), c.splitColumn(), "split-column", what);
        }
    }

    /** The split column as text, or a null column when the split is seeded. */
    static Column splitOrNull(TableConfig c) {
        return c.splitColumn() != null ? functions.col(c.splitColumn()).cast(DataTypes.StringType) : functions.lit(null).cast(DataTypes.StringType);
    }

    private static Map<String, StructField> fields(Dataset<Row> table) {
        Map<String, StructField> fields = new HashMap<>();
        Arrays.stream(table.schema().fields()).forEach(f -> fields.put(f.name(), f));
        return fields;
    }

    private static StructField column(Map<String, StructField> fields, List<String> names, String name, String key, String what) {
        StructField f = fields.get(name);
        if (f == null) {
            throw new ConfigException(key + "=" + name + ": no such column in " + what + "; its columns are " + names);
        }
        return f;
    }

    /** The label column's distinct values: integers 0..C-1 (a CSV's text that is all digits counts), or names in sorted order. */
    private static TableColumns classes(Dataset<Row> table, StructField label, TableConfig c, int width, String what) {
        DataType t = label.dataType();
        if (!(t instanceof IntegralType) && !t.equals(DataTypes.StringType)) {
            throw new ConfigException("label-column=" + label.name() + ": is " + t.simpleString() + " in " + what
                    + "; a class label must be an integer id (0..C-1) or a string name");
        }
        Dataset<Row> distinct = table.select(functions.col(label.name()).cast(DataTypes.StringType)).where(functions.col(label.name()).isNotNull())
                .distinct();
        List<String> values = distinct.limit(MAX_CLASSES + 1).collectAsList().stream().map(r -> r.getString(0)).toList();
        if (values.size() > MAX_CLASSES) {
            throw new ConfigException("label-column=" + label.name() + ": more than " + MAX_CLASSES + " distinct values in " + what
                    + "; is it the class column?");
        }
        // an integer column's negative values are bad rows (unknown-label), not classes
        boolean ids = t instanceof IntegralType || !values.isEmpty() && values.stream().allMatch(v -> v.matches("\\d{1,9}"));
        List<String> names = new ArrayList<>();
        if (ids) {
            int classes = values.stream().filter(v -> v.matches("\\d{1,9}")).mapToInt(Integer::parseInt).max().orElse(-1) + 1;
            for (int k = 0; k < classes; k++) {
                names.add(Integer.toString(k));
            }
        } else {
            names.addAll(new TreeSet<>(values));
        }
        if (names.size() < 2) {
            throw new InputException("label-column=" + label.name() + ": " + names.size() + " class(es) in " + what + "; classification needs >= 2");
        }
        return new TableColumns(width, c.featuresColumn() != null, names, ids, c.splitColumn() != null, c.textColumn() != null, null);
    }

    /** The same, its text tokenized by {@code tok}. */
    TableColumns withTokenizer(Tokenizer tok) {
        return new TableColumns(width, arrayColumn, classNames, classIds, hasSplit, text, tok.serialize());
    }

    /** The manifest attributes of a text classification dataset: what the encoder classifier reads, and the tokenizer. */
    Map<String, String> textAttributes() {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("vocab_size", Integer.toString(Tokenizer.parse(tokenizer).vocabSize() + TOKEN_OFFSET));
        a.put("padding_id", Integer.toString(EncoderClassifierLayer.PAD));
        a.put("token_offset", Integer.toString(TOKEN_OFFSET));
        a.put("text_tokenizer", tokenizer);
        return a;
    }

    /** The columns a row is read from, in this record's layout: label, split, file, then the features. */
    static Dataset<Row> select(Dataset<Row> table, TableConfig c) {
        List<Column> cols = new ArrayList<>();
        cols.add(functions.col(c.labelColumn()).cast(DataTypes.StringType));
        cols.add(splitOrNull(c));
        cols.add(functions.input_file_name());
        if (c.textColumn() != null) {
            cols.add(functions.col(c.textColumn()));
        } else if (c.featuresColumn() != null) {
            cols.add(functions.col(c.featuresColumn()));
        } else {
            c.featureColumns().forEach(name -> cols.add(functions.col(name)));
        }
        return table.select(cols.toArray(Column[]::new));
    }

    /** The row's class id. */
    int label(Row r, Map<String, Integer> index) {
        String v = r.getString(LABEL);
        if (v == null) {
            throw new BadRecord(Reason.MISSING_VALUE, "no label");
        }
        Integer k = index.get(v);
        if (k == null) {
            throw new BadRecord(Reason.UNKNOWN_LABEL, "label '" + v + "' is not a class id in 0.." + (classNames.size() - 1));
        }
        return k;
    }

    int[] featureShape() {
        return new int[] {width};
    }

    /** Class name (or id as text) to class id; built once per partition. */
    Map<String, Integer> classIndex() {
        Map<String, Integer> index = new HashMap<>();
        for (int k = 0; k < classNames.size(); k++) {
            index.put(classNames.get(k), k);
        }
        return index;
    }

    /** The row's split from the split column: train, val (or validation) or test. */
    String split(Row r) {
        return split(r.getString(SPLIT));
    }

    /** A split column's value as a split: train, val (or validation) or test. */
    static String split(String v) {
        if (v == null) {
            throw new BadRecord(Reason.MISSING_VALUE, "no split");
        }
        return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "train" -> "train";
            case "val", "validation" -> "val";
            case "test" -> "test";
            default -> throw new BadRecord(Reason.UNKNOWN_SPLIT, "split '" + v + "' is not train, val (validation) or test");
        };
    }

    /**
     * Writes the row's features into {@code out} at {@code at}.
     *
     * @param tok text: the parsed {@link #tokenizer} (parsed once per partition); else null
     */
    void features(Row r, float[] out, int at, Tokenizer tok) {
        if (text) {
            String s = r.getString(FEATURES);
            if (s == null) {
                throw new BadRecord(Reason.MISSING_VALUE, "no text");
            }
            int[] ids = tok.encode(s); // longer texts are cut at width tokens, as the encoder would see them anyway
            for (int i = 0; i < width; i++) {
                out[at + i] = i < ids.length ? ids[i] + TOKEN_OFFSET : EncoderClassifierLayer.PAD;
            }
            return;
        }
        if (!arrayColumn) {
            for (int i = 0; i < width; i++) {
                out[at + i] = value(r.get(FEATURES + i), i);
            }
            return;
        }
        Object v = r.get(FEATURES);
        if (v == null) {
            throw new BadRecord(Reason.MISSING_VALUE, "no features");
        }
        if (v instanceof Vector vec) {
            checkLength(vec.size());
            for (int i = 0; i < width; i++) {
                out[at + i] = finite(vec.apply(i), i);
            }
        } else {
            List<Object> list = r.getList(FEATURES);
            checkLength(list.size());
            for (int i = 0; i < width; i++) {
                out[at + i] = value(list.get(i), i);
            }
        }
    }

    private void checkLength(int n) {
        if (n != width) {
            throw new BadRecord(Reason.WRONG_LENGTH, n + " features where the first row has " + width);
        }
    }

    private static float value(Object v, int i) {
        if (v == null) {
            throw new BadRecord(Reason.MISSING_VALUE, "feature " + i + " is missing");
        }
        if (v instanceof Number num) {
            return finite(num.doubleValue(), i);
        }
        try {
            return finite(Double.parseDouble(v.toString().trim()), i);
        } catch (NumberFormatException e) {
            throw new BadRecord(Reason.NOT_A_NUMBER, "feature " + i + " is '" + v + "', not a number");
        }
    }

    private static float finite(double v, int i) {
        if (!Double.isFinite(v)) {
            throw new BadRecord(Reason.NOT_FINITE, "feature " + i + " is " + v);
        }
        return (float) v;
    }
}
