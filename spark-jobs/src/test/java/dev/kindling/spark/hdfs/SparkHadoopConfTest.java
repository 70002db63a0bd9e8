package dev.kindling.spark.hdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.spark.config.SparkMaster;
import dev.kindling.spark.job.SparkJobs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file system setting given only as {@code spark.hadoop.*} reaches Kindling's file access on the
 * driver (from the system properties spark-submit sets) and inside executor tasks (from the Spark
 * configuration the executor received); {@code HADOOP_CONF_DIR}'s site files are read, and
 * {@code spark.hadoop.*} wins over them.
 */
class SparkHadoopConfTest {
    private static final String IMPL = SparkHadoopConf.PREFIX + "fs." + AliasFileSystem.SCHEME + ".impl";
    // Hadoop caches a file system per scheme whatever the configuration; uncached, each test sees its own
    private static final String NO_CACHE = SparkHadoopConf.PREFIX + "fs." + AliasFileSystem.SCHEME + ".impl.disable.cache";

    @Test
    void withoutTheSettingTheSchemeIsUnknown(@TempDir Path dir) {
        HadoopStorage storage = new HadoopStorage(SparkHadoopConf.from(new SparkConf(false), null));
        Exception e = assertThrows(Exception.class, () -> storage.exists(AliasFileSystem.SCHEME + "://" + dir));
        assertTrue(e.getMessage().contains("No FileSystem for scheme"), e.getMessage());
    }

    @Test
    void sparkHadoopSettingsReachTheDriverAndTheExecutors(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("hello.txt"), "hello");
        String uri = AliasFileSystem.SCHEME + "://" + dir.resolve("hello.txt");
        System.setProperty(IMPL, AliasFileSystem.class.getName()); // what spark-submit --conf does in client mode
        System.setProperty(NO_CACHE, "true");
        try {
            assertEquals("hello", new String(new HadoopStorage().readAll(uri), StandardCharsets.UTF_8), "on the driver");
        } finally {
            System.clearProperty(IMPL);
            System.clearProperty(NO_CACHE);
        }
        SparkConf spark = SparkJobs.conf(new SparkMaster("local[2]"), "conf-test").set(IMPL, AliasFileSystem.class.getName())
                .set(NO_CACHE, "true");
        try (JavaSparkContext sc = new JavaSparkContext(spark)) {
            // no system property now: a task can only learn the scheme from the executor's Spark configuration
            List<String> read = sc.parallelize(List.of(1, 2), 2)
                    .map(i -> new String(new HadoopStorage().readAll(uri), StandardCharsets.UTF_8)).collect();
            assertEquals(List.of("hello", "hello"), read, "in executor tasks");
        }
    }

    @Test
    void hadoopConfDirIsReadAndSparkHadoopWins(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("core-site.xml"), "<configuration>"
                + "<property><name>kindling.test.a</name><value>site</value></property>"
                + "<property><name>kindling.test.b</name><value>site</value></property></configuration>");
        Configuration conf = SparkHadoopConf.from(new SparkConf(false).set(SparkHadoopConf.PREFIX + "kindling.test.b", "spark"), dir.toString());
        assertEquals("site", conf.get("kindling.test.a"));
        assertEquals("spark", conf.get("kindling.test.b"));
    }
}
