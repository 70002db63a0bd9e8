package dev.kindling.spark.prepare;

import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.ShardFile;
import dev.kindling.core.data.Task;
import dev.kindling.spark.config.PrepareConfig;
import dev.kindling.spark.config.TableConfig;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.job.SparkJobs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code prepare-data --dataset=table} as a Spark job: a Parquet or CSV table (a file, directory or
 * glob on any Hadoop URI) read by Spark SQL on the executors, in partitions of about {@code --split-mb}.
 * The driver checks the columns and collects the label column's distinct values ({@link TableColumns});
 * each executor turns its rows into examples and writes whole minibatches ({@link TablePart}); back on
 * the driver the shards are renumbered per split, the rows left over are shuffled into the last shards,
 * and the manifest (with the bad rows skipped, per reason) is written and published by one rename.
 */
public final class TableJob {
    private static final Logger LOG = LoggerFactory.getLogger(TableJob.class);

    public static Manifest run(PrepareConfig c, HadoopStorage storage, String out) throws IOException {
        TableConfig t = c.table();
        TextFiles source = TextFiles.find(storage.qualify(c.sourcePath()), t.format().cliName() + " files");
        SparkSession spark = SparkJobs.session(c.master(), "prepare-data");
        try {
            spark.conf().set("spark.sql.files.maxPartitionBytes", Long.toString(c.splitMb() * TextCorpusJob.MB));
            // the label column's distinct values are the only shuffle: Spark's default 200 partitions are 200 tasks for a handful of values
            spark.conf().set("spark.sql.shuffle.partitions", Integer.toString(Math.max(1, spark.sparkContext().defaultParallelism())));
            String[] files = source.files().toArray(String[]::new);
            // CSV as text: a feature that is not a number is then one bad row, not a whole column silently read as strings
            Dataset<Row> table = t.format() == TableConfig.Format.CSV ? spark.read().option("header", "true").csv(files)
                    : spark.read().parquet(files);
            String what = "table " + source.uri();
            long t0 = System.nanoTime();
            TableColumns columns = ExecutorErrors.onExecutors(() -> TableColumns.plan(table, t, what));
            LOG.info("prepare-data: {} ({} file(s)): {} features, {} classes, split {}", source.uri(), files.length, columns.width(),
                    columns.classNames().size(), t.splitColumn() != null ? "from column " + t.splitColumn() : "seeded");
            String tmp = DatasetWriter.temporarySibling(out);
            try {
                TablePart part = new TablePart(storage, tmp, columns, c.batchSize(), c.skipBadRecords(), c.seed());
                spark.sparkContext().setJobDescription("prepare-data: rows to shards");
                List<PartResult> parts = new ArrayList<>(ExecutorErrors.onExecutors(
                        () -> TableColumns.select(table, t).javaRDD().mapPartitionsWithIndex(part, false).collect()));
                parts.sort(Comparator.comparingInt(r -> r.partition));
                Manifest m = assemble(c, storage, tmp, what, columns, parts);
                DatasetWriter.publish(storage, tmp, out, m);
                LOG.info("prepare-data: wrote {} to {} ({}; fingerprint {}) in {} s", what, out, m.splits().keySet(),
                        m.fingerprint().substring(0, 12), String.format("%.1f", (System.nanoTime() - t0) / 1e9));
                return m;
            } catch (IOException | RuntimeException e) {
                storage.delete(tmp);
                throw e;
            }
        } finally {
            spark.stop();
        }
    }

    /** The manifest of the partitions' shards, renumbered per split with the examples left over appended. */
    static Manifest assemble(PrepareConfig c, HadoopStorage storage, String tmp, String what, TableColumns columns, List<PartResult> parts)
            throws IOException {
        TableConfig t = c.table();
        int classes = columns.classNames().size();
        SplitAssembly a = SplitAssembly.of(storage, tmp, parts, columns.featureShape(), classes, c.batchSize(), c.seed(),
                c.limit() > 0 ? c.limit() : Long.MAX_VALUE, what, t.splitColumn() != null ? " (no row's " + t.splitColumn() + " says so)" : "");
        if (!a.badRecords().isEmpty()) {
            LOG.warn("prepare-data: {}: skipped bad rows {}", what, a.badRecords());
        }
        Map<String, String> attributes = a.attributes(parts);
        attributes.put("columns.features", t.featuresColumn() != null ? t.featuresColumn() : String.join(",", t.featureColumns()));
        attributes.put("columns.label", t.labelColumn());
        return new Manifest(Manifest.FORMAT_VERSION, "table", what, Task.CLASSIFICATION, columns.featureShape(), new int[] {classes},
                classes, false, c.batchSize(), a.splits(), ShardFile.fingerprint(a.shards()), c.seed(), columns.classNames(), false, attributes);
    }

    private TableJob() {}
}
