package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Shards;
import dev.kindling.core.data.Task;
import dev.kindling.core.io.LocalStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/**
 * prepare-data --dataset=table on Spark's executors (local[2]): a Parquet table written by a Spark job
 * becomes shards holding exactly its rows and trains the MLP; a CSV's scalar columns, class names and
 * split column; bad rows named, or skipped and counted; a missing column named. Nothing is published
 * by a failed run.
 */
class PrepareTableOnExecutorsTest {
    static final int WIDTH = 6;
    static final StructType SCHEMA = new StructType()
            .add("features", DataTypes.createArrayType(DataTypes.DoubleType))
            .add("label", DataTypes.IntegerType)
            .add("source", DataTypes.StringType);

    /** Rows whose class is the largest of three linear scores of the features: an MLP learns it. */
    static List<Row> rows(int n, long seed) {
        Random r = new Random(seed);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Double[] x = new Double[WIDTH];
            Arrays.setAll(x, k -> r.nextGaussian());
            double[] score = {x[0] + x[1] - x[2], x[2] + x[3] - x[4], x[4] + x[5] - x[0]};
            int label = score[0] > score[1] ? (score[0] > score[2] ? 0 : 2) : (score[1] > score[2] ? 1 : 2);
            rows.add(RowFactory.create(Arrays.asList(x), label, "etl-" + i));
        }
        return rows;
    }

    /** Writes {@code rows} as Parquet in {@code files} files with a Spark job, as a user's ETL would. */
    static void writeParquet(Path dir, List<Row> rows, int files) {
        SparkSession spark = SparkSession.builder().master("local[2]").appName("etl").config("spark.ui.enabled", "false").getOrCreate();
        try {
            spark.createDataFrame(rows, SCHEMA).repartition(files).write().parquet(dir.toString());
        } finally {
            spark.stop();
        }
    }

    /** Every example of a split as "label|f1,f2,..", in shard order. */
    static List<String> examples(Path dataset, Manifest m, String split) {
        LocalStorage storage = new LocalStorage();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < m.split(split).shards(); i++) {
            DataSet ds = Shards.load(storage, dataset.resolve(Manifest.shardName(split, i)).toString());
            boolean last = i == m.split(split).shards() - 1;
            assertTrue(last || ds.numExamples() == m.batchSize(), split + " shard " + i + " of " + m.split(split).shards() + " holds " + ds.numExamples());
            float[][] f = ds.getFeatures().toFloatMatrix();
            float[][] l = ds.getLabels().toFloatMatrix();
            for (int r = 0; r < f.length; r++) {
                int label = 0;
                for (int k = 0; k < l[r].length; k++) {
                    label = l[r][k] == 1f ? k : label;
                }
                out.add(label + "|" + Arrays.toString(f[r]));
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static String example(Row r) {
        List<Double> x = (List<Double>) r.get(0); // a row made here holds a Java list, not Spark's Seq
        float[] f = new float[x.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = x.get(i).floatValue();
        }
        return r.getInt(1) + "|" + Arrays.toString(f);
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void aParquetTableFromASparkJobBecomesShardsOfExactlyItsRowsAndTrainsTheMlp(@TempDir Path dir) throws Exception {
        List<Row> rows = rows(3000, 1);
        writeParquet(dir.resolve("table"), rows, 3);
        String[] args = {"prepare-data", "--dataset=table", "--format=parquet", "--source-path=" + dir.resolve("table"), "--features-column=features",
                "--label-column=label", "--batch-size=64", "--master=local[2]"};
        Cli prep = Cli.run(Cli.concat(args, "--out=" + dir.resolve("a")));
        assertEquals(0, prep.exit(), prep.err());

        Manifest m = Shards.manifest(new LocalStorage(), dir.resolve("a").toString());
        assertEquals(Task.CLASSIFICATION, m.task());
        assertEquals(List.of(WIDTH), Arrays.stream(m.featureShape()).boxed().toList());
        assertEquals(List.of("0", "1", "2"), m.classNames());
        List<String> all = new ArrayList<>();
        for (String split : new String[] {"train", "val", "test"}) {
            List<String> ex = examples(dir.resolve("a"), m, split);
            assertEquals(m.split(split).examples(), ex.size());
            all.addAll(ex);
        }
        assertTrue(Math.abs(m.split("train").examples() - 2700) < 90, "a seeded 90/5/5 split: " + m.splits());
        assertTrue(m.split("val").examples() > 100 && m.split("test").examples() > 100, m.splits().toString());
        all.sort(null);
        List<String> expected = new ArrayList<>(rows.stream().map(PrepareTableOnExecutorsTest::example).toList());
        expected.sort(null);
        assertEquals(expected, all, "the shards hold every row of the table once, with its label");
        assertEquals("3000", m.attribute("examples_read"));
        assertFalse(m.attributes().keySet().stream().anyMatch(k -> k.startsWith("bad_records.")), m.attributes().toString());

        Cli again = Cli.run(Cli.concat(args, "--out=" + dir.resolve("b")));
        assertEquals(0, again.exit(), again.err());
        assertEquals(m.fingerprint(), Shards.manifest(new LocalStorage(), dir.resolve("b").toString()).fingerprint(), "same seed, same dataset");

        Cli train = Cli.run("train", "--model=mlp", "--dist=local", "--epochs=4", "--data=" + dir.resolve("a"), "--out=" + dir.resolve("run"));
        assertEquals(0, train.exit(), train.err());
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("run/metrics.json").toFile());
        assertTrue(metrics.get("final").get("accuracy").asDouble() > 0.85, "the MLP learns the table's rule: " + metrics.get("final"));
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aCsvsColumnsClassNamesAndSplitColumnAreTheDatasets(@TempDir Path dir) throws Exception {
        String[] species = {"virginica", "setosa", "versicolor"};
        String[] parts = {"train", "train", "train", "train", "train", "train", "validation", "val", "test", "TEST"};
        StringBuilder csv = new StringBuilder("id,x1,x2,species,part\n");
        for (int i = 0; i < 200; i++) {
            csv.append(i).append(',').append(i * 0.5).append(',').append(-i).append(',').append(species[i % 3]).append(',').append(parts[i % 10])
                    .append('\n');
        }
        Files.createDirectories(dir.resolve("csv"));
        Files.writeString(dir.resolve("csv/flowers.csv"), csv);
        Cli prep = Cli.run("prepare-data", "--dataset=table", "--format=csv", "--source-path=" + dir.resolve("csv") + "/*.csv",
                "--feature-columns=x1, x2", "--label-column=species", "--split-column=part", "--batch-size=16", "--master=local[2]",
                "--out=" + dir.resolve("d"));
        assertEquals(0, prep.exit(), prep.err());
        Manifest m = Shards.manifest(new LocalStorage(), dir.resolve("d").toString());
        assertEquals(List.of("setosa", "versicolor", "virginica"), m.classNames(), "class names numbered in sorted order");
        assertEquals(120, m.split("train").examples());
        assertEquals(40, m.split("val").examples(), "val and validation");
        assertEquals(40, m.split("test").examples(), "test and TEST");
        for (String e : examples(dir.resolve("d"), m, "val")) {
            String[] labelAndFeatures = e.split("\\|");
            float x1 = Float.parseFloat(labelAndFeatures[1].substring(1).split(",")[0]);
            int i = Math.round(x1 * 2);
            assertEquals(List.of("setosa", "versicolor", "virginica").indexOf(species[i % 3]), Integer.parseInt(labelAndFeatures[0]), e);
            assertTrue(i % 10 == 6 || i % 10 == 7, "row " + i + " is a val row: " + e);
        }
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void badRowsAreNamedOrSkippedAndCountedAndAMissingColumnIsNamed(@TempDir Path dir) throws Exception {
        List<Row> rows = new ArrayList<>(rows(400, 2));
        rows.set(10, RowFactory.create(Arrays.asList(1.0, 2.0, 3.0), 1, "short"));
        rows.set(20, RowFactory.create(Arrays.asList(1.0, Double.NaN, 3.0, 4.0, 5.0, 6.0), 1, "nan"));
        rows.set(30, RowFactory.create(Arrays.asList(1.0, 2.0, 3.0, 4.0, 5.0, 6.0), -1, "negative label"));
        rows.set(40, RowFactory.create(null, 0, "no features"));
        writeParquet(dir.resolve("table"), rows, 2);
        String[] args = {"prepare-data", "--dataset=table", "--source-path=" + dir.resolve("table"), "--features-column=features",
                "--batch-size=32", "--master=local[2]"};

        Cli failed = Cli.run(Cli.concat(args, "--out=" + dir.resolve("bad")));
        assertEquals(1, failed.exit(), failed.err());
        assertTrue(failed.err().contains("table file ") && failed.err().contains(".parquet, row ") && failed.err().contains("--skip-bad-records=true"),
                failed.err());
        assertTrue(Stream.of("wrong-length: 3 features where the first row has 6", "not-finite: feature 1 is NaN",
                "unknown-label: label '-1'", "missing-value: no features").anyMatch(failed.err()::contains), failed.err());
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of("table"), left.map(p -> p.getFileName().toString()).toList(), "nothing published, no temporary left");
        }

        Cli skipped = Cli.run(Cli.concat(args, "--out=" + dir.resolve("ok"), "--skip-bad-records=true"));
        assertEquals(0, skipped.exit(), skipped.err());
        JsonNode summary = new ObjectMapper().readTree(skipped.lastLine());
        assertEquals(4, summary.get("bad_records_skipped").size(), summary.toString());
        Manifest m = Shards.manifest(new LocalStorage(), dir.resolve("ok").toString());
        assertEquals("396", m.attribute("examples_read"));
        assertEquals(396, m.splits().values().stream().mapToLong(Manifest.Split::examples).sum());
        for (String reason : new String[] {"wrong-length", "not-finite", "unknown-label", "missing-value"}) {
            assertEquals("1", m.attribute("bad_records." + reason), reason + " in " + m.attributes());
        }

        Cli missing = Cli.run(Cli.concat(args, "--out=" + dir.resolve("m"), "--label-column=class"));
        assertEquals(2, missing.exit(), missing.err());
        assertTrue(missing.err().contains("label-column=class: no such column") && missing.err().contains("[features, label, source]"), missing.err());
        Cli both = Cli.run(Cli.concat(args, "--out=" + dir.resolve("m"), "--feature-columns=a,b"));
        assertEquals(2, both.exit(), both.err());
        assertTrue(both.err().contains("not several"), both.err());
        assertFalse(Files.exists(dir.resolve("m")));
    }
}
