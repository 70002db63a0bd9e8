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
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code prepare-data --dataset=table} as a Spark job: a Parquet or CSV table (a file, directory or
 * glob on any Hadoop URI) read by Spark SQL on the executors, in partitions of about {@code --split-mb}.
 * Its features are numbers, or with {@code --text-column} a text tokenized and padded to {@code --seq-len}
 * (a tokenizer trained on the column as {@code --dataset=text} trains one); {@code --dataset=text
 * --text-column} instead makes the column's rows the documents of a language-model corpus ({@link #textCorpus}).
 * The driver checks the columns and collects the label column's distinct values ({@link TableColumns});
 * each executor turns its rows into examples and writes whole minibatches ({@link TablePart}); back on
 * the driver the shards are renumbered per split, the rows left over are shuffled into the last shards,
 * and the manifest (with the bad rows skipped, per reason) is written and published by one rename.
 */
public final class TableJob {
    private static final Logger LOG = LoggerFactory.getLogger(TableJob.class);

    /** {@code --dataset=table}: a classification dataset, its features numbers or (with {@code --text-column}) tokens. */
    public static Manifest run(PrepareConfig c, HadoopStorage storage, String out) throws IOException {
        return onTable(c, storage, (spark, table, source) -> {
            TableConfig t = c.table();
            String what = "table " + source.uri();
            long t0 = System.nanoTime();
            TableColumns planned = ExecutorErrors.onExecutors(() -> TableColumns.plan(table, t, c.seqLen(), what));
            TableColumns columns = t.textColumn() == null ? planned
                    : planned.withTokenizer(TextCorpusJob.tokenizer(c, storage, source.bytes(), TableDocuments.texts(table, t.textColumn())));
            LOG.info("prepare-data: {} ({} file(s)): {} {}, {} classes, split {}", source.uri(), source.files().size(), columns.width(),
                    t.textColumn() != null ? "tokens of " + t.textColumn() : "features", columns.classNames().size(),
                    t.splitColumn() != null ? "from column " + t.splitColumn() : "seeded");
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
                ExecutorErrors.deleteAfterTasksEnd(spark.sparkContext(), storage, tmp);
                throw e;
            }
        });
    }

    /** {@code --dataset=text --text-column}: a language-model corpus whose documents are the rows' texts. */
    public static Manifest textCorpus(PrepareConfig c, HadoopStorage storage, String out) throws IOException {
        return onTable(c, storage, (spark, table, source) -> {
            TableConfig t = c.table();
            JavaRDD<Document> documents = ExecutorErrors.onExecutors(() -> TableDocuments.of(table, t, "table " + source.uri(), c.skipBadRecords(),
                    c.seed()));
            LOG.info("prepare-data: {} ({} file(s)): a document per row of {}, split {}, in {} partitions", source.uri(), source.files().size(),
                    t.textColumn(), t.splitColumn() != null ? "from column " + t.splitColumn() : "seeded per row", documents.getNumPartitions());
            return TextCorpusJob.write(c, storage, out, new TextCorpusJob.Corpus(source.uri(), source.bytes(), documents,
                    "the rows of %s in every partition hold fewer than %d tokens; use a larger table, a larger --split-mb or a smaller --seq-len"));
        });
    }

    /** What is done with a table once Spark SQL has it. */
    @FunctionalInterface
    private interface TableWork {
        Manifest on(SparkSession spark, Dataset<Row> table, TextFiles source) throws IOException;
    }

    /** Reads the table at {@code --source-path} with Spark SQL in partitions of {@code --split-mb} and does {@code work} on it. */
    private static Manifest onTable(PrepareConfig c, HadoopStorage storage, TableWork work) throws IOException {
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
            return work.on(spark, table, source);
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
        if (t.textColumn() != null) {
            attributes.putAll(columns.textAttributes());
            attributes.put("columns.text", t.textColumn());
        } else {
            attributes.put("columns.features", t.featuresColumn() != null ? t.featuresColumn() : String.join(",", t.featureColumns()));
        }
        attributes.put("columns.label", t.labelColumn());
        return new Manifest(Manifest.FORMAT_VERSION, "table", what, Task.CLASSIFICATION, columns.featureShape(), new int[] {classes},
                classes, false, c.batchSize(), a.splits(), ShardFile.fingerprint(a.shards()), c.seed(), columns.classNames(), false, attributes);
    }

    private TableJob() {}
}
