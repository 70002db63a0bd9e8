package dev.kindling.spark.hdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.core.config.SettingsLoader;
import dev.kindling.spark.config.PrepareConfig;
import dev.kindling.spark.config.RunConfig;
import dev.kindling.spark.config.TestSettings;
import dev.kindling.spark.config.TrainConfig;
import dev.kindling.spark.job.PrepareDataJob;
import dev.kindling.spark.job.TrainJob;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** prepare-data writes to a real (in-process) HDFS, and Spark executors train from it and write back to it. */
class HdfsTrainingTest {
    private static MiniDFSCluster dfs;
    private static String root;

    @BeforeAll
    static void startHdfs() throws Exception {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, Files.createTempDirectory("minidfs").toString());
        for (String key : new String[] {"dfs.namenode.rpc-address", "dfs.namenode.http-address", "dfs.datanode.address",
                "dfs.datanode.http.address", "dfs.datanode.ipc.address"}) {
            conf.set(key, "127.0.0.1:0");
        }
        dfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        dfs.waitActive();
        root = "hdfs://127.0.0.1:" + dfs.getNameNodePort();
    }

    @AfterAll
    static void stopHdfs() {
        if (dfs != null) {
            dfs.shutdown();
        }
    }

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void trainsFromShardsOnHdfsAndPublishesTheRunThere() throws Exception {
        String data = root + "/datasets/seed-sum";
        PrepareConfig prep = PrepareConfig.from(new SettingsLoader(PrepareConfig.SETTINGS).set(PrepareConfig.DATASET, "seed-sum")
                .set(RunConfig.OUT, data).load());
        assertEquals(25, PrepareDataJob.run(prep).split("train").shards());

        HadoopStorage hdfs = new HadoopStorage();
        assertTrue(hdfs.exists(data + "/manifest.json"));
        assertTrue(hdfs.exists(data + "/train/part-00024.bin"));

        String run = root + "/runs/sum-averaging";
        TrainConfig train = TrainConfig.from(TestSettings.of("model", "mlp", "data", data, "out", run, "dist", "averaging",
                "master", "local[2]", "epochs", "8", "averaging-frequency", "3", "timeout-minutes", "4"));
        TrainJob.Result result = TrainJob.run(train);
        assertEquals(run, result.out());

        JsonNode metrics = new ObjectMapper().readTree(hdfs.readAll(run + "/metrics.json"));
        assertEquals("averaging", metrics.get("dist").asText());
        double accuracy = metrics.get("final").get("accuracy").asDouble();
        assertTrue(accuracy >= 0.85, "test accuracy " + accuracy);
        assertTrue(hdfs.exists(run + "/model.zip"));
        assertTrue(hdfs.exists(run + "/provenance.json"));
        assertFalse(hdfs.exists(run + ".tmp"), "no staging directory left");
    }

    /**
     * A client setting given only as {@code spark.hadoop.dfs.blocksize} (a system property, as
     * spark-submit --conf sets it) shapes what prepare-data and train write to HDFS: Hadoop's default is 128 MB.
     */
    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void sparkHadoopSettingsReachHdfs() throws Exception {
        long blockSize = 2L << 20;
        System.setProperty("spark.hadoop.dfs.blocksize", Long.toString(blockSize));
        try {
            String data = root + "/datasets/seed-sum-2m";
            PrepareDataJob.run(PrepareConfig.from(new SettingsLoader(PrepareConfig.SETTINGS).set(PrepareConfig.DATASET, "seed-sum")
                    .set(RunConfig.OUT, data).load()));
            String run = root + "/runs/sum-2m";
            TrainJob.run(TrainConfig.from(TestSettings.of("model", "mlp", "data", data, "out", run, "dist", "shared",
                    "encoding", "dense", "master", "local[2]", "epochs", "1")));
            FileSystem fs = new Path(root).getFileSystem(new Configuration());
            for (String file : new String[] {data + "/manifest.json", data + "/train/part-00000.bin", run + "/model.zip", run + "/metrics.json"}) {
                assertEquals(blockSize, fs.getFileStatus(new Path(file)).getBlockSize(), file);
            }
        } finally {
            System.clearProperty("spark.hadoop.dfs.blocksize");
        }
    }
}
