package dev.kindling.spark.job;

import dev.kindling.core.data.ShardCache;
import dev.kindling.core.data.ShardCheck;
import dev.kindling.core.data.Shards;
import dev.kindling.core.metrics.TaskMetrics;
import dev.kindling.core.train.Checkpoints;
import dev.kindling.core.train.Ema;
import dev.kindling.core.train.EpochLoop;
import dev.kindling.core.train.StepTelemetry;
import dev.kindling.core.vision.ImageAugmentation;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every trainer of one run attempt shares: the plan, where shards and checkpoints live, the loop
 * state (fresh or resumed), the step telemetry, the augmentation, and the run's log (events and report,
 * written at each epoch's end after the checkpoint: the trainers pass it to the epoch loop as its
 * checkpointer).
 */
record TrainingContext(TrainingPlan plan, HadoopStorage storage, Checkpoints checkpoints, EpochLoop.LoopState state,
                       StepTelemetry telemetry, ImageAugmentation augmentation, RunLog log) {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingContext.class);

    /**
     * What a trainer hands back to {@link TrainJob}.
     *
     * @param net     the trained network (the driver's copy)
     * @param outcome the epoch loop's history
     * @param test    the final metrics on the usable test shards
     * @param checked the shard check report
     * @param steps   telemetry records of every step
     * @param workers replicas that trained
     * @param ema     the weight EMA, or null when off
     * @param comm    bytes on the wire and compression, or null without gradient sharing
     */
    record Trained(ComputationGraph net, EpochLoop.Outcome outcome, TaskMetrics test, ShardCheck.Report checked, List<String> steps,
                   int workers, Ema ema, Map<String, Object> comm) {}

    /** The same context with a plan rebuilt once the workers are known ({@link TrainingPlan#forReplicas}). */
    TrainingContext with(TrainingPlan newPlan) {
        return new TrainingContext(newPlan, storage, checkpoints, state, telemetry, augmentation, log);
    }

    Function<String, DataSet> loader() {
        HadoopStorage s = storage;
        return path -> Shards.load(s, path);
    }

    /** {@link #loader()} keeping decoded shards in memory up to {@code --data-cache-mb}: the local trainer's. */
    Function<String, DataSet> cachedLoader() {
        return new ShardCache(loader(), plan.config().run().dataCacheBytes());
    }

    /**
     * Every shard checked against the manifest before training: on the executors of {@code sc}, or in
     * this JVM when it is null. Bad shards fail the run unless --skip-bad-shards.
     */
    ShardCheck.Report checkShards(JavaSparkContext sc) {
        HadoopStorage s = storage;
        var m = plan.manifest();
        List<ShardCheck.Result> results;
        if (sc == null) {
            results = ShardCheck.checkAll(s, plan.data(), m);
        } else {
            List<ShardCheck.Item> items = ShardCheck.items(s, plan.data(), m);
            sc.setJobDescription("train: check " + items.size() + " shards against the manifest");
            results = sc.parallelize(items, Math.max(1, Math.min(items.size(), sc.defaultParallelism() * 4)))
                    .map(item -> item.check(s, m)).collect();
        }
        ShardCheck.Report report = ShardCheck.report(results, m, plan.data(), plan.config().run().skipBadShards());
        for (ShardCheck.Result r : report.bad()) {
            LOG.warn("train: skipping bad shard {}: {}", r.path, r.problem);
        }
        LOG.info("train: checked {} shards ({} bad)", results.size(), report.bad().size());
        return report;
    }

    /** The run's EMA ({@code --ema-decay}), continuing a resumed one; null when off. */
    Ema ema(ComputationGraph net) {
        double decay = plan.config().optim().emaDecay();
        if (decay == 0) {
            return null;
        }
        Ema ema = state.ema != null ? new Ema(decay, state.ema) : Ema.of(net, decay);
        state.ema = ema.shadow();
        return ema;
    }

    /** Where a failed run can continue from. */
    String resumeHint() throws IOException {
        return checkpoints.newestName()
                .map(n -> " (last good checkpoint: " + n + " in " + plan.staging() + "; continue with --resume=" + plan.out() + ")")
                .orElse(" (no checkpoint yet)");
    }
}
