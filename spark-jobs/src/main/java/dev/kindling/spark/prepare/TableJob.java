package dev.kindling.spark.prepare;

import dev.kindling.core.data.ArrayRows;
import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.ShardFile;
import dev.kindling.core.data.Task;
import dev.kindling.core.io.InputException;
import dev.kindling.core.text.TokenIds;
import dev.kindling.core.text.TokenWindows;
import dev.kindling.spark.config.PrepareConfig;
import dev.kindling.spark.config.TableConfig;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.job.SparkJobs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
    /** The manifest's attributes {@code bad_records.<reason>}: rows skipped by {@code --skip-bad-records}. */
    public static final String BAD_RECORDS = "bad_records";

    public static Manifest run(PrepareConfig c, HadoopStorage storage, String out) throws IOException {
        TableConfig t = c.table();
        TextFiles source = TextFiles.find(storage.qualify(c.sourcePath()), t.format().cliName() + " files");
        SparkSession spark = SparkJobs.session(c.master(), "prepare-data");
        try {
            spark.conf().set("spark.sql.files.maxPartitionBytes", Long.toString(c.splitMb() * TextCorpusJob.MB));
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
                TablePart part = new TablePart(storage, tmp, columns, c.batchSize(), t.skipBadRecords(), c.seed());
                spark.sparkContext().setJobDescription("prepare-data: rows to shards");
                List<TablePart.Result> parts = new ArrayList<>(ExecutorErrors.onExecutors(
                        () -> TableColumns.select(table, t).javaRDD().mapPartitionsWithIndex(part, false).collect()));
                parts.sort(Comparator.comparingInt(r -> r.partition));
                Manifest m = assemble(c, storage, tmp, what, columns, part, parts);
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

    /** Every split's shards in one numbering, the rows left over appended, and the manifest that describes them. */
    static Manifest assemble(PrepareConfig c, HadoopStorage storage, String tmp, String what, TableColumns columns, TablePart part,
                             List<TablePart.Result> parts) throws IOException {
        long limit = c.limit() > 0 ? c.limit() : Long.MAX_VALUE;
        Map<String, Manifest.Split> splits = new LinkedHashMap<>();
        List<ShardFile> all = new ArrayList<>();
        for (String split : TablePart.SPLITS) {
            List<ShardFile> shards = new ArrayList<>(SplitNumbering.renumber(storage, tmp, split, parts.stream().map(r -> r.shards.get(split)).toList(),
                    limit));
            long kept = shards.stream().mapToLong(ShardFile::examples).sum();
            ArrayRows rest = leftovers(part, parts, split, c.seed(), limit - kept);
            shards.addAll(SplitNumbering.append(storage, tmp, split, shards.size(), rest, c.batchSize()));
            Manifest.Split s = SplitNumbering.split(shards);
            if (s.examples() == 0) {
                throw new InputException(what + ": no " + split + " example"
                        + (c.table().splitColumn() != null ? " (no row's " + c.table().splitColumn() + " says " + split + ")" : "")
                        + (parts.stream().anyMatch(r -> !r.bad.isEmpty()) ? "; bad rows skipped: " + badRecords(parts) : "")
                        + "; every split needs at least one row");
            }
            splits.put(split, s);
            all.addAll(shards);
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("rows", Long.toString(parts.stream().mapToLong(r -> r.rows).sum()));
        badRecords(parts).forEach((reason, n) -> attributes.put(BAD_RECORDS + "." + reason, Long.toString(n)));
        TableConfig t = c.table();
        attributes.put("columns.features", t.featuresColumn() != null ? t.featuresColumn() : String.join(",", t.featureColumns()));
        attributes.put("columns.label", t.labelColumn());
        if (!badRecords(parts).isEmpty()) {
            LOG.warn("prepare-data: {}: skipped bad rows {}", what, badRecords(parts));
        }
        int classes = columns.classNames().size();
        return new Manifest(Manifest.FORMAT_VERSION, "table", what, Task.CLASSIFICATION, new int[] {columns.width()}, new int[] {classes},
                classes, false, c.batchSize(), splits, ShardFile.fingerprint(all), c.seed(), columns.classNames(), false, attributes);
    }

    /** The rows every partition left over in {@code split}, in a seeded shuffle, at most {@code keep}. */
    private static ArrayRows leftovers(TablePart part, List<TablePart.Result> parts, String split, long seed, long keep) {
        float[] features = new float[parts.stream().mapToInt(r -> r.restFeatures.get(split).length).sum()];
        int at = 0;
        for (TablePart.Result r : parts) {
            float[] f = r.restFeatures.get(split);
            System.arraycopy(f, 0, features, at, f.length);
            at += f.length;
        }
        int[] labels = TokenIds.concat(parts.stream().map(r -> r.restLabels.get(split)).toList());
        int[] order = new int[labels.length];
        Arrays.setAll(order, i -> i);
        TokenWindows.shuffle(order, seed);
        int n = (int) Math.min(order.length, keep);
        int width = part.width();
        float[] shuffledFeatures = new float[n * width];
        int[] shuffledLabels = new int[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(features, order[i] * width, shuffledFeatures, i * width, width);
            shuffledLabels[i] = labels[order[i]];
        }
        return part.rows(shuffledFeatures, shuffledLabels, n);
    }

    /** Bad rows skipped, per reason, over every partition. */
    private static Map<String, Long> badRecords(List<TablePart.Result> parts) {
        Map<String, Long> all = new TreeMap<>();
        parts.forEach(r -> r.bad.forEach((reason, n) -> all.merge(reason, n, Long::sum)));
        return all;
    }

    private TableJob() {}
}
