package dev.kindling.spark.job;

import dev.kindling.core.model.GarbageCollector;
import dev.kindling.spark.config.SparkMaster;
import dev.kindling.spark.legacy.Masters;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Spark context every job uses, with the settings DESIGN.md measured as needed. */
public final class SparkJobs {
    private static final Logger LOG = LoggerFactory.getLogger(SparkJobs.class);

    /**
     * A new context. {@code spark.master} from spark-submit wins; without one (tests, plain java)
     * Kindling's {@code master} key is used. Executors get one OpenMP thread (4-8x faster than ND4J's
     * default on small machines) and the Aeron timeout flag.
     */
    public static JavaSparkContext context(SparkMaster master, String job) {
        return announced(new JavaSparkContext(conf(master, job)), job);
    }

    /**
     * A new context whose Spark event log goes to {@code eventLogDir} (an existing directory), so that
     * Spark's History Server can replay the job from the run directory: unless the cluster names its
     * own {@code spark.eventLog.dir} (its History Server's), or turns the log off.
     */
    public static JavaSparkContext context(SparkMaster master, String job, String eventLogDir) {
        SparkConf conf = conf(master, job);
        if (!conf.contains("spark.eventLog.dir")) {
            conf.setIfMissing("spark.eventLog.enabled", "true").set("spark.eventLog.dir", eventLogDir);
        }
        return announced(new JavaSparkContext(conf), job);
    }

    /** A Spark SQL session with the same settings, for jobs that read or write tables. */
    public static SparkSession session(SparkMaster master, String job) {
        SparkSession spark = SparkSession.builder().config(conf(master, job)).getOrCreate();
        announced(JavaSparkContext.fromSparkContext(spark.sparkContext()), job);
        return spark;
    }

    private static JavaSparkContext announced(JavaSparkContext sc, String job) {
        if (sc.sc().uiWebUrl().isDefined()) {
            LOG.info("{}: Spark UI at {} (application {})", job, sc.sc().uiWebUrl().get(), sc.sc().applicationId());
        }
        if (sc.getConf().getBoolean("spark.eventLog.enabled", false)) {
            LOG.info("{}: Spark event log in {}", job, sc.getConf().get("spark.eventLog.dir", "/tmp/spark-events"));
        }
        return sc;
    }

    public static SparkConf conf(SparkMaster master, String job) {
        SparkConf conf = new SparkConf()
                .setAppName("kindling-" + job)
                .setIfMissing("spark.master", master.url())
                .setIfMissing("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .setIfMissing("spark.kryo.registrator", "org.nd4j.kryo.Nd4jRegistrator")
                // Spark's UI on a free port (4040 up would collide, and the cluster's spark.port.maxRetries=0
                // forbids moving on); it binds where SPARK_LOCAL_IP says (the launcher's default: loopback)
                .setIfMissing("spark.ui.port", "0")
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
        // and Kindling's collector, unless the cluster chose one (GarbageCollector says why)
        conf.set("spark.executor.extraJavaOptions", GarbageCollector.addUnlessChosen(options.toString()));
        return conf;
    }

    /** Number of task slots: N for local[N], else Spark's default parallelism. */
    public static int workers(JavaSparkContext sc) {
        return sc.defaultParallelism();
    }

    private SparkJobs() {}
}
