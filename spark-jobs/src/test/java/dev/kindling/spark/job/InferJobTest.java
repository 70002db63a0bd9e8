package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Shards;
import dev.kindling.core.io.LocalStorage;
import dev.kindling.spark.infer.ExecutorModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/** Batch inference: every input row gets one prediction row, whatever the input format and --dist. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class InferJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    static String data;
    static String model;
    static double evaluated;

    @BeforeAll
    static void trainAModel() throws Exception {
        data = dir.resolve("sum").toString();
        assertEquals(0, Cli.run("prepare-data", "--dataset=seed-sum", "--out=" + data).exit());
        String run = dir.resolve("run").toString();
        Cli train = Cli.run("train", "--model=mlp", "--dist=local", "--epochs=4", "--data=" + data, "--out=" + run);
        assertEquals(0, train.exit(), train.err());
        model = run + "/model.zip";
        Cli eval = Cli.run("evaluate", "--model-path=" + model, "--data=" + data, "--dist=local");
        evaluated = JSON.readTree(eval.lastLine()).get("final").get("accuracy").asDouble();
    }

    /** id -> prediction, read back from the Parquet output in a session of its own. */
    static Map<Long, Integer> predictions(String out) {
        try (SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate()) {
            Map<Long, Integer> m = new TreeMap<>();
            for (Row r : spark.read().parquet(out).collectAsList()) {
                m.put(r.getLong(0), r.getInt(1));
            }
            return m;
        }
    }

    @Test
    void shardsInferredOnExecutorsEqualTheOneJvmLoopAndEvaluate() throws Exception {
        int loadsBefore = ExecutorModels.loads();
        String distributed = dir.resolve("pred-shared").toString();
        Cli r = Cli.run("infer", "--model-path=" + model, "--data=" + data, "--out=" + distributed, "--dist=shared");
        assertEquals(0, r.exit(), r.err());
        JsonNode m = JSON.readTree(r.lastLine());
        assertEquals(200, m.get("rows_in").asLong());
        assertEquals(200, m.get("rows_out").asLong());
        assertTrue(m.get("rows_per_s").asDouble() > 0);
        assertEquals(evaluated, m.get("accuracy").asDouble(), 0.0, "infer's accuracy equals evaluate's");
        assertTrue(ExecutorModels.loads() - loadsBefore <= 2, "one model per task thread (local[2]), not per shard (4 shards)");

        String local = dir.resolve("pred-local").toString();
        Cli l = Cli.run("infer", "--model-path=" + model, "--data=" + data, "--out=" + local, "--dist=local");
        assertEquals(0, l.exit(), l.err());
        Map<Long, Integer> a = predictions(distributed);
        assertEquals(200, a.size());
        assertEquals(a, predictions(local));
    }

    @Test
    void csvAndParquetInputsGiveTheSamePredictionsAsShards() throws Exception {
        LocalStorage storage = new LocalStorage();
        Manifest man = Shards.manifest(storage, data);
        List<String> lines = new ArrayList<>();
        StringBuilder header = new StringBuilder("id,label");
        for (int j = 0; j < 20; j++) {
            header.append(",f").append(j);
        }
        lines.add(header.toString());
        List<Row> parquetRows = new ArrayList<>();
        long id = 0;
        for (String shard : Shards.paths(storage, data, man, "test", null)) {
            DataSet ds = Shards.load(storage, shard);
            float[][] x = ds.getFeatures().toFloatMatrix();
            float[][] y = ds.getLabels().toFloatMatrix();
            for (int i = 0; i < x.length; i++, id++) {
                StringBuilder line = new StringBuilder(id + "," + (int) y[i][0]);
                Double[] f = new Double[x[i].length];
                for (int j = 0; j < x[i].length; j++) {
                    line.append(',').append(x[i][j]);
                    f[j] = (double) x[i][j];
                }
                lines.add(line.toString());
                parquetRows.add(RowFactory.create(id, (int) y[i][0], f));
            }
        }
        Path csv = dir.resolve("test.csv");
        Files.write(csv, lines);
        String parquet = dir.resolve("test.parquet").toString();
        try (SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate()) {
            StructType schema = new StructType().add("id", DataTypes.LongType).add("label", DataTypes.IntegerType)
                    .add("features", DataTypes.createArrayType(DataTypes.DoubleType));
            spark.createDataFrame(parquetRows, schema).write().parquet(parquet);
        }
        String fromShards = dir.resolve("pred-shards").toString();
        String fromCsv = dir.resolve("pred-csv").toString();
        String fromParquet = dir.resolve("pred-parquet").toString();
        assertEquals(0, Cli.run("infer", "--model-path=" + model, "--data=" + data, "--out=" + fromShards).exit());
        Cli c = Cli.run("infer", "--model-path=" + model, "--data=" + csv, "--out=" + fromCsv);
        assertEquals(0, c.exit(), c.err());
        assertEquals("csv", JSON.readTree(c.lastLine()).get("format").asText());
        Cli p = Cli.run("infer", "--model-path=" + model, "--data=" + parquet, "--out=" + fromParquet);
        assertEquals(0, p.exit(), p.err());
        assertEquals(evaluated, JSON.readTree(p.lastLine()).get("accuracy").asDouble(), 0.0);
        Map<Long, Integer> expected = predictions(fromShards);
        assertEquals(expected, predictions(fromCsv));
        assertEquals(expected, predictions(fromParquet));
    }

    @Test
    void aShortRowFailsTheWriteOnTheExecutorsByNameAndLeavesNothing() throws Exception {
        StringBuilder header = new StringBuilder("id,label");
        StringBuilder good = new StringBuilder("0,1");
        for (int j = 0; j < 20; j++) {
            header.append(",f").append(j);
            good.append(",0.5");
        }
        List<String> lines = new ArrayList<>(List.of(header.toString()));
        for (int i = 0; i < 200; i++) {
            lines.add(good.toString().replaceFirst("^0,", i + ","));
        }
        lines.add("200,1,0.5");                          // a short row: 19 features missing (null), the file's last
        Path csv = dir.resolve("bad-row.csv");
        Files.write(csv, lines);
        Path out = dir.resolve("pred-bad-row");
        Cli r = Cli.run("infer", "--model-path=" + model, "--data=" + csv, "--out=" + out);
        assertEquals(1, r.exit(), r.err());                 // bad data: exit 1, as for a truncated model
        assertTrue(r.err().contains("feature 'f1' is empty or not a number; every feature needs a value"), r.err());
        assertFalse(Files.exists(out));
        try (var left = Files.list(dir)) {
            assertTrue(left.noneMatch(f -> f.getFileName().toString().startsWith("pred-bad-row")), "no temporary output left");
        }
    }

    @Test
    void truncatedModelFailsWithExitOneAndWritesNothing() throws Exception {
        byte[] zip = Files.readAllBytes(Path.of(model));
        Path truncated = dir.resolve("truncated.zip");
        Files.write(truncated, java.util.Arrays.copyOf(zip, zip.length / 2));
        Path out = dir.resolve("pred-none");
        Cli r = Cli.run("infer", "--model-path=" + truncated, "--data=" + data, "--out=" + out);
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.err().contains("truncated.zip: not a readable Kindling model zip"), r.err());
        assertFalse(Files.exists(out));
        try (var left = Files.list(dir)) {
            assertTrue(left.noneMatch(f -> f.getFileName().toString().startsWith("pred-none")), "no temporary output left");
        }
    }

    @Test
    void severalModelsAreComparedInOneEvaluation() throws Exception {
        String other = dir.resolve("run2").toString();
        assertEquals(0, Cli.run("train", "--model=mlp", "--dist=local", "--epochs=1", "--hidden=8", "--data=" + data, "--out=" + other).exit());
        Cli r = Cli.run("evaluate", "--model-path=" + model + "," + other + "/model.zip", "--data=" + data, "--dist=local");
        assertEquals(0, r.exit(), r.err());
        JsonNode rows = JSON.readTree(r.lastLine()).get("comparison");
        assertEquals(2, rows.size());
        assertEquals(evaluated, rows.get(0).get("accuracy").asDouble(), 0.0);
        assertTrue(rows.get(1).get("model_path").asText().endsWith("run2/model.zip"));
    }
}
