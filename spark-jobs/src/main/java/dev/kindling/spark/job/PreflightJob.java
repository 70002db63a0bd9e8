package dev.kindling.spark.job;

import dev.kindling.spark.config.Dist;
import dev.kindling.spark.config.TrainConfig;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.runtime.Preflight;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kindling preflight}: the checks {@code train} runs before distributed training, on their own:
 * the config and dataset (as train validates them), the run directory's parent writable, then the
 * Aeron port, shared memory, controller address and executor memory. Exit 2 when any fails.
 */
public final class PreflightJob {
    private static final Logger LOG = LoggerFactory.getLogger(PreflightJob.class);

    public static Map<String, Object> run(TrainConfig c) throws Exception {
        HadoopStorage storage = new HadoopStorage();
        TrainingPlan plan = TrainingPlan.of(c, storage);
        List<Preflight.Check> checks = new ArrayList<>();
        checks.add(new Preflight.Check("data", true, plan.data() + " has " + plan.manifest().split("train").shards() + " training shards"));
        checks.add(writable(storage, plan.out()));
        if (plan.graph() != null && plan.dist() != Dist.LOCAL) {
            ComputationGraph net = new ComputationGraph(plan.graph());
            net.init();
            try (JavaSparkContext sc = SparkJobs.context(c.run().master(), "preflight")) {
                checks.addAll(Preflight.sparkChecks(sc, c.dist(), net.numParams(), plan.executorShardBytes(), SparkJobs.workers(sc)));
            }
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Preflight.Check k : checks) {
            LOG.info("preflight: {} {}: {}", k.ok() ? "ok  " : "FAIL", k.name(), k.detail());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("check", k.name());
            row.put("ok", k.ok());
            row.put("detail", k.detail());
            rows.add(row);
        }
        Preflight.require(checks);
        return Map.of("preflight", rows);
    }

    /** Creates and deletes a probe file beside the run directory. */
    static Preflight.Check writable(HadoopStorage storage, String out) {
        String probe = out + ".preflight-" + Long.toHexString(System.nanoTime());
        try {
            try (OutputStream os = storage.create(probe)) {
                os.write(1);
            }
            storage.delete(probe);
            return new Preflight.Check("out", true, "can write beside " + out);
        } catch (IOException | RuntimeException e) {
            return new Preflight.Check("out", false, "cannot write beside out=" + out + " (" + e.getMessage() + "); choose a writable --out");
        }
    }

    private PreflightJob() {}
}
