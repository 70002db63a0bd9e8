package dev.kindling.spark.job;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Shards;
import dev.kindling.core.io.InputException;
import dev.kindling.core.io.RunDirectory;
import dev.kindling.spark.config.Dist;
import dev.kindling.spark.config.InferConfig.Format;
import dev.kindling.spark.config.InferConfig;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.infer.ExecutorModels;
import dev.kindling.spark.infer.Predictions;
import dev.kindling.spark.prepare.ExecutorErrors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * {@code kindling infer --model-path=<zip> --data=<uri> --out=<uri>}: predictions for every input row,
 * written as Parquet ({@link Predictions#SCHEMA}) to a temporary sibling and renamed to {@code --out}.
 * Inputs: a prepared dataset (its {@code --split}), CSV with a header (optional {@code id} and
 * {@code label} columns, every other column a feature, in order) or Parquet with a {@code features}
 * array column (optional {@code id}, {@code label}). Executors restore the model once per task
 * thread ({@link ExecutorModels}). Rows in must equal rows out, or the job fails.
 */
public final class InferJob {
    private static final Logger LOG = LoggerFactory.getLogger(InferJob.class);
    static final int BATCH = 256;

    public static Map<String, Object> run(InferConfig c) throws Exception {
        Dist dist = c.dist();
        Format format = c.format();
        HadoopStorage storage = new HadoopStorage();
        String modelPath = storage.qualify(c.modelPath());
        String data = storage.qualify(c.data());
        String out = storage.qualify(c.out());
        RunDirectory.checkAbsent(storage, out);
        if (!storage.exists(data)) {
            throw new ConfigException("data=" + data + ": not found; pass a prepared dataset, a CSV file or directory, or Parquet");
        }
        SavedModel model = SavedModel.read(storage, modelPath); // fails here, before any work, if corrupt
        byte[] modelBytes = model.bytes();
        Manifest trained = model.trained();
        if (trained.task() != dev.kindling.core.data.Task.CLASSIFICATION) {
            throw new ConfigException("model-path=" + modelPath + ": a " + trained.task().id() + " model; infer writes class predictions "
                    + "for classifiers only (use evaluate for its metrics" + ", generate for sequences and text)");
        }
        if (format == Format.AUTO) {
            format = storage.exists(storage.child(data, Manifest.FILE)) ? Format.SHARDS
                    : data.endsWith(".parquet") || data.endsWith(".parq") ? Format.PARQUET : Format.CSV;
        }
        if (dist == Dist.LOCAL && format != Format.SHARDS) {
            throw new ConfigException("dist=local: infers prepared datasets only in one JVM; use --dist=shared for " + format.cliName());
        }
        // a prepared dataset is checked against the model before Spark starts
        Manifest m = format == Format.SHARDS ? Shards.manifest(storage, data) : null;
        String split = c.split().cliName();
        if (m != null) {
            EvaluateJob.checkFits(trained, m, modelPath, data);
            m.split(split);
        }
        String tmp = out + ".tmp-" + Long.toHexString(System.nanoTime());
        long rowsIn;
        long rowsOut;
        double seconds;
        Map<String, Object> result = new LinkedHashMap<>();
        try (SparkSession spark = SparkJobs.session(c.master(), "infer")) {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            long t0 = System.nanoTime(); // timed: read, predict and write; not Spark's start-up nor the checks after
            Dataset<Row> predictions;
            Broadcast<byte[]> bytes = dist == Dist.LOCAL ? null : sc.broadcast(modelBytes);
            if (m != null) {
                List<String> shards = Shards.paths(storage, data, m, split, null);
                rowsIn = m.split(split).examples();
                int batchSize = m.batchSize();
                if (dist == Dist.LOCAL) {
                    List<Row> rows = new ArrayList<>();
                    for (int i = 0; i < shards.size(); i++) {
                        rows.addAll(predictShard(model.loaded().graph(), storage, shards.get(i), (long) i * batchSize));
                    }
                    predictions = spark.createDataFrame(rows, Predictions.SCHEMA);
                } else {
                    sc.setJobDescription("infer: " + shards.size() + " shards to Parquet");
                    JavaRDD<Row> rows = sc.parallelize(IntStream.range(0, shards.size()).boxed().toList(), slices(sc, shards.size()))
                            .mapPartitions(indices -> {
                                List<Row> part = new ArrayList<>();
                                while (indices.hasNext()) {
                                    int i = indices.next();
                                    part.addAll(predictShard(ExecutorModels.get(modelPath, bytes), storage, shards.get(i), (long) i * batchSize));
                                }
                                return part.iterator();
                            });
                    predictions = spark.createDataFrame(rows, Predictions.SCHEMA);
                }
            } else {
                Dataset<Row> input = format == Format.CSV
                        ? spark.read().option("header", "true").option("inferSchema", "true").csv(data)
                        : spark.read().parquet(data);
                RowLayout layout = RowLayout.of(input, format, data, trained.featureWidth());
                rowsIn = input.count();
                JavaRDD<Row> rows = input.javaRDD().zipWithIndex()
                        .mapPartitions(it -> predictRows(ExecutorModels.get(modelPath, bytes), layout, it));
                predictions = spark.createDataFrame(rows, Predictions.SCHEMA);
            }
            try {
                ExecutorErrors.onExecutors(() -> {
                    predictions.write().parquet(tmp);
                    return null;
                });
            } catch (RuntimeException e) {
                // the failed write's other tasks may still be writing into tmp (ExecutorErrors says why)
                ExecutorErrors.deleteAfterTasksEnd(spark.sparkContext(), storage, tmp);
                throw e;
            }
            seconds = (System.nanoTime() - t0) / 1e9;
            storage.rename(tmp, out);
            Dataset<Row> written = spark.read().parquet(out);
            rowsOut = written.count();
            long labelled = written.filter("label is not null").count();
            if (labelled > 0) {
                result.put("accuracy", (double) written.filter("label = prediction").count() / labelled);
            }
            ExecutorModels.clear();
        } catch (Exception | Error e) {
            storage.delete(tmp);
            throw e;
        }
        if (rowsIn != rowsOut) {
            storage.delete(out);
            throw new IllegalStateException("infer read " + rowsIn + " rows but wrote " + rowsOut + "; nothing kept at " + out);
        }
        result.put("model_path", modelPath);
        result.put("data", data);
        result.put("format", format.cliName());
        result.put("dist", dist.cliName());
        result.put("out", out);
        result.put("rows_in", rowsIn);
        result.put("rows_out", rowsOut);
        result.put("seconds", seconds);
        result.put("rows_per_s", rowsOut / seconds);
        LOG.info("infer: {} rows -> {} in {} s ({} rows/s, dist={})", rowsOut, out, String.format("%.1f", seconds),
                String.format("%.0f", rowsOut / seconds), dist);
        return result;
    }

    static int slices(JavaSparkContext sc, int items) {
        return Math.max(1, Math.min(items, sc.defaultParallelism()));
    }

    /** One shard's rows; ids are the row's position in the split (shard index x batch size + row). */
    static List<Row> predictShard(ComputationGraph net, HadoopStorage storage, String path, long firstId) {
        DataSet ds = Shards.load(storage, path);
        float[][] x = ds.getFeatures().toFloatMatrix();
        long[] ids = new long[x.length];
        for (int r = 0; r < ids.length; r++) {
            ids[r] = firstId + r;
        }
        return Predictions.predict(net, ids, x, Predictions.labelsOf(ds.getLabels()));
    }

    /** Predicts table rows in batches of {@value #BATCH}. */
    static Iterator<Row> predictRows(ComputationGraph net, RowLayout layout, Iterator<Tuple2<Row, Long>> in) {
        List<Row> out = new ArrayList<>();
        List<Tuple2<Row, Long>> batch = new ArrayList<>(BATCH);
        while (in.hasNext()) {
            batch.add(in.next());
            if (batch.size() == BATCH || !in.hasNext()) {
                long[] ids = new long[batch.size()];
                float[][] x = new float[batch.size()][];
                Integer[] labels = layout.label() >= 0 ? new Integer[batch.size()] : null;
                for (int i = 0; i < batch.size(); i++) {
                    Row r = batch.get(i)._1();
                    ids[i] = layout.id() >= 0 ? ((Number) r.get(layout.id())).longValue() : batch.get(i)._2();
                    x[i] = layout.features(r);
                    if (labels != null) {
                        labels[i] = r.isNullAt(layout.label()) ? null : ((Number) r.get(layout.label())).intValue();
                    }
                }
                out.addAll(Predictions.predict(net, ids, x, labels));
                batch.clear();
            }
        }
        return out.iterator();
    }

    /**
     * Where a table's id, label and features are. CSV: every column but id and label is a feature;
     * Parquet: the {@code features} array column.
     */
    record RowLayout(int id, int label, int[] featureColumns, int arrayColumn, int width) implements java.io.Serializable {

        static RowLayout of(Dataset<Row> input, Format format, String data, int width) {
            List<String> names = Arrays.asList(input.columns());
            int id = names.indexOf("id");
            int label = names.indexOf("label");
            if (format == Format.PARQUET) {
                int f = names.indexOf("features");
                if (f < 0 || !(input.schema().fields()[f].dataType() instanceof ArrayType)) {
                    throw new ConfigException("data=" + data + ": Parquet input needs an array column 'features'; it has " + names);
                }
                return new RowLayout(id, label, new int[0], f, width);
            }
            List<Integer> cols = new ArrayList<>();
            StructField[] fields = input.schema().fields();
            for (int i = 0; i < fields.length; i++) {
                if (i == id || i == label) {
                    continue;
                }
                if (!(fields[i].dataType() instanceof NumericType)) {
                    throw new ConfigException("data=" + data + ": CSV column '" + fields[i].name() + "' is " + fields[i].dataType().simpleString()
                            + ", not a number; features must be numeric (id and label columns are optional)");
                }
                cols.add(i);
            }
            if (cols.size() != width) {
                throw new ConfigException("data=" + data + ": " + cols.size() + " feature columns but the model takes " + width + " features");
            }
            return new RowLayout(id, label, cols.stream().mapToInt(Integer::intValue).toArray(), -1, width);
        }

        float[] features(Row r) {
            if (arrayColumn >= 0) {
                List<Object> v = r.getList(arrayColumn);
                if (v.size() != width) {
                    throw new InputException("row " + r + ": 'features' has " + v.size() + " values but the model takes " + width);
                }
                float[] f = new float[v.size()];
                for (int i = 0; i < f.length; i++) {
                    f[i] = v.get(i) instanceof Number n ? n.floatValue() : notANumber(r, "features[" + i + "]");
                }
                return f;
            }
            float[] f = new float[featureColumns.length];
            for (int i = 0; i < f.length; i++) {
                Object x = r.get(featureColumns[i]);
                f[i] = x instanceof Number n ? n.floatValue() : notANumber(r, r.schema().fieldNames()[featureColumns[i]]);
            }
            return f;
        }
    }

    /** An empty feature (a short CSV row, a null in a table) is the input's error: named, with the fix. */
    private static float notANumber(Row r, String column) {
        throw new InputException("row " + r + ": feature '" + column + "' is empty or not a number; every feature"
                + " needs a value (fill or drop such rows before infer)");
    }

    private InferJob() {}
}
