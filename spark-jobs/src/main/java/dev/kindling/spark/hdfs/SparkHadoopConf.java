package dev.kindling.spark.hdfs;

import java.io.File;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import scala.Tuple2;

/**
 * The Hadoop configuration Spark gives a job, built the way Spark builds its own
 * ({@code SparkHadoopUtil.newConfiguration}) so that a file Kindling opens sees what a file Spark opens
 * sees: Hadoop's defaults and the site files on the classpath; then {@code core-site.xml} and
 * {@code hdfs-site.xml} from {@code $HADOOP_CONF_DIR} (Spark's launch scripts put that directory on the
 * classpath; Kindling's launcher and an executor started by a cluster manager may not); then every
 * {@code spark.hadoop.<key>} of the Spark configuration as {@code <key>}, which wins. The Spark
 * configuration is the executor's (what the driver sent it) inside a Spark JVM, else the system
 * properties, where {@code spark-submit --conf} puts it before a job's context exists.
 */
public final class SparkHadoopConf {
    static final String PREFIX = "spark.hadoop.";

    public static Configuration forThisJvm() {
        SparkEnv env = SparkEnv.get();
        return from(env != null ? env.conf() : new SparkConf(), System.getenv("HADOOP_CONF_DIR"));
    }

    static Configuration from(SparkConf spark, String hadoopConfDir) {
        Configuration conf = new Configuration();
        if (hadoopConfDir != null && !hadoopConfDir.isBlank()) {
            for (String site : new String[] {"core-site.xml", "hdfs-site.xml"}) {
                File f = new File(hadoopConfDir, site);
                if (f.isFile()) {
                    conf.addResource(new Path(f.toURI()));
                }
            }
        }
        for (Tuple2<String, String> kv : spark.getAllWithPrefix(PREFIX)) {
            conf.set(kv._1(), kv._2(), "spark.hadoop." + kv._1());
        }
        return conf;
    }

    private SparkHadoopConf() {}
}
