package dev.kindling.spark.job;

import dev.kindling.spark.config.SparkMaster;
import dev.kindling.spark.legacy.Masters;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/** The Spark context every job uses, with the settings DESIGN.md measured as needed. */
public final class SparkJobs {

    /**
     * A new context. {@code spark.master} from spark-submit wins; without one (tests, plain java)
     * Kindling's {@code master} key is used. Executors get one OpenMP thread (4-8x faster than ND4J's
     * default on small machines) and the Aeron timeout flag.
     */
    public static JavaSparkContext context(SparkMaster master, String job) {
        return new JavaSparkContext(conf(master, job));
    }

    /** A Spark SQL session with the same settings, for jobs that read or write tables. */
    public static SparkSession session(SparkMaster master, String job) {
        return SparkSession.builder().config(conf(master, job)).getOrCreate();
    }

    public static SparkConf conf(SparkMaster master, String job) {
        SparkConf conf = new SparkConf()
                .setAppName("kindling-" + job)
                .setIfMissing("spark.master", master.url())
                .setIfMissing("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .setIfMissing("spark.kryo.registrator", "org.nd4j.kryo.Nd4jRegistrator")
                .setIfMissing("spark.ui.enabled", "false")
                .setIfMissing("spark.executorEnv.OMP_NUM_THREADS", "1")
                // the driver's progress line rides on executor heartbeats (Spark's default is 10 s)
                .setIfMissing("spark.executor.heartbeatInterval", "5s");
        // the Aeron options are required and the native helpers wanted, so each is added to whatever
        // options the cluster sets unless it sets that property itself
        StringBuilder options = new StringBuilder(conf.get("spark.executor.extraJavaOptions", ""));
        for (String option : Masters.executorJavaOptions().split(" ")) {
            String property = option.substring(0, option.indexOf('=') + 1);
            if (!options.toString().contains(property)) {
                options.append(options.length() == 0 ? "" : " ").append(option);
            }
        }
        conf.set("spark.executor.extraJavaOptions", options.toString());
        return conf;
    }

    /** Number of task slots: N for local[N], else Spark's default parallelism. */
    public static int workers(JavaSparkContext sc) {
        return sc.defaultParallelism();
    }

    private SparkJobs() {}
}
