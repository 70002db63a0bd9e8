import org.apache.spark.sql.SparkSession;

/**
 * An example Parquet table written by a Spark job, as a user's ETL would write one: a {@code features}
 * array column of 6 doubles and an integer {@code label} (0, 1 or 2: which of three linear scores of the
 * features is largest, a rule an MLP learns), in several files.
 *
 * <p>Run with any Spark's jars (Java's single-file launcher compiles it):
 * {@code java $(cat spark-jobs/target/jvm.flags) -cp "$SPARK_HOME/jars/*" scripts/examples/ExampleTable.java <out-uri> [rows=3000] [files=3]}
 * (the flags open the JDK modules Spark needs on Java 17),
 * then {@code scripts/kindling prepare-data --dataset=table --source-path=<out-uri> --features-column=features ...}.
 */
public class ExampleTable {
    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: java -cp \"$SPARK_HOME/jars/*\" ExampleTable.java <out-uri> [rows=3000] [files=3]");
            System.exit(2);
        }
        long rows = args.length > 1 ? Long.parseLong(args[1]) : 3000;
        int files = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        SparkSession spark = SparkSession.builder().master("local[1]").appName("example-table").config("spark.ui.enabled", "false").getOrCreate();
        try {
            spark.range(rows)
                    .selectExpr("randn(1) x0", "randn(2) x1", "randn(3) x2", "randn(4) x3", "randn(5) x4", "randn(6) x5")
                    .selectExpr("array(x0, x1, x2, x3, x4, x5) features", "x0 + x1 - x2 s0", "x2 + x3 - x4 s1", "x4 + x5 - x0 s2")
                    .selectExpr("features", "CASE WHEN s0 >= s1 AND s0 >= s2 THEN 0 WHEN s1 >= s2 THEN 1 ELSE 2 END label")
                    .repartition(files)
                    .write().parquet(args[0]);
        } finally {
            spark.stop();
        }
    }
}
