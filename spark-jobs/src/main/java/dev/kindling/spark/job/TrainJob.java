package dev.kindling.spark.job;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.data.Task;
import dev.kindling.core.metrics.Evaluator;
import dev.kindling.core.metrics.TaskMetrics;
import dev.kindling.core.model.Architecture;
import dev.kindling.core.model.ResNet50Transfer;
import dev.kindling.core.train.Checkpoints;
import dev.kindling.core.train.EpochLoop;
import dev.kindling.core.train.RunSummary;
import dev.kindling.core.train.StepTelemetry;
import dev.kindling.core.vision.ImageAugmentation;
import dev.kindling.spark.config.Dist;
import dev.kindling.spark.config.TrainConfig;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.legacy.Masters;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kindling train}: validates the config against the dataset's manifest, trains with the
 * chosen {@code --dist}, evaluates the best model on the test split and publishes the run
 * directory (model.zip, metrics.json, config.properties, provenance.json) in one rename.
 */
public final class TrainJob {
    private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);

    /** @param out the run directory; @param metrics what metrics.json holds */
    public record Result(String out, Map<String, Object> metrics) {}

    /**
     * A distributed run stopped by the watchdog, by an epoch that changed nothing, or by a failed Spark job: it can continue from
     * {@link #out}'s newest checkpoint when {@link #checkpointed}.
     */
    static final class Interrupted extends IllegalStateException {
        final String out;
        final boolean checkpointed;

        Interrupted(String message, Throwable cause, String out, boolean checkpointed) {
            super(message, cause);
            this.out = out;
            this.checkpointed = checkpointed;
        }
    }

    /**
     * Trains. A distributed run that is {@link Interrupted} is restarted in this driver from its newest
     * checkpoint, with a new SparkContext and a new training master (DL4J shuts the old parameter
     * server down when a new master starts), at most {@code --auto-resume} times.
     */
    public static Result run(TrainConfig c) throws Exception {
        int retries = c.run().autoResume();
        TrainConfig attempt = c;
        for (int restarts = 0; ; restarts++) {
            try {
                return runOnce(attempt, restarts);
            } catch (Interrupted e) {
                if (restarts >= retries || !e.checkpointed) {
                    throw e;
                }
                LOG.warn("train: {}", e.getMessage());
                LOG.warn("train: auto-resume {} of {}: restarting from the newest checkpoint of {}", restarts + 1, retries, e.out);
                attempt = c.with(c.run().resuming(e.out));
                if (attempt.dist().dist() == Dist.SHARED) {
                    Masters.releaseDriverTransport(attempt.dist());
                }
            }
        }
    }

    /** @param restarts how often this run was auto-resumed before, reported in metrics.json */
    static Result runOnce(TrainConfig c, int restarts) throws Exception {
        HadoopStorage storage = new HadoopStorage();
        TrainingPlan p = TrainingPlan.of(c, storage);
        long t0 = System.nanoTime();
        Checkpoints checkpoints = new Checkpoints(storage, p.staging(), c.run().keepCheckpoints());
        Optional<Checkpoints.Resumed> resumed = p.resume() ? checkpoints.latest() : Optional.empty();
        if (p.resume() && resumed.isEmpty()) {
            throw new ConfigException("resume=" + p.out() + ": " + p.staging() + " holds no complete checkpoint; start a new run instead");
        }
        resumed.ifPresent(r -> LOG.info("train: resuming from checkpoint {} (epoch {}, step {} of it)", r.name(), r.state().epoch + 1,
                r.state().stepInEpoch));
        EpochLoop.LoopState state = resumed.map(Checkpoints.Resumed::state).orElseGet(EpochLoop.LoopState::new);
        TrainingContext ctx = new TrainingContext(p, storage, checkpoints, state, StepTelemetry.forRun(),
                ImageAugmentation.parse(c.run().augment(), p.manifest()), RunLog.open(storage, p, checkpoints, state));
        // a resumed run continues its checkpoint's network; a new one starts from the plan (which the distributed
        // trainer may rebuild for its workers first)
        Function<TrainingPlan, ComputationGraph> network = plan -> {
            ComputationGraph net = resumed.isPresent() ? resumed.get().net() : initialised(plan, storage);
            LOG.info("train: model={} params={} data={} ({} train examples) dist={}", plan.arch().cliName(), net.numParams(),
                    plan.manifest().name(), plan.manifest().split("train").examples(), plan.dist().cliName());
            return net;
        };
        TrainingContext.Trained t = p.arch() == Architecture.SCRATCH_MLP ? LocalTraining.scratch(ctx)
                : p.dist() == Dist.LOCAL ? LocalTraining.run(ctx, network.apply(p)) : DistributedTraining.run(ctx, network);
        ComputationGraph emaNet = t.ema() == null ? null : t.ema().model(t.net());
        Map<String, Object> metrics = RunSummary.of(p.arch().cliName(), p.manifest().name(), p.dist().cliName(), t.workers(),
                t.outcome().history().size(), t.outcome(), (System.nanoTime() - t0) / 1e9, t.test().toJson(), t.comm());
        if (emaNet != null) {
            TaskMetrics emaMetrics = Evaluator.evaluate(emaNet, p.manifest(), t.checked().usable().get("test").stream().map(ctx.loader()).iterator());
            LOG.info("train: EMA (decay {}) weights: test loss {}", t.ema().decay(), String.format("%.4f", emaMetrics.loss()));
            metrics.put("ema", Map.of("decay", t.ema().decay(), "final", emaMetrics.toJson()));
        }
        metrics.put("optimizer", Map.of("name", p.optimizer().name(), "schedule", p.lr().name().cliName(), "accumulate", p.optimizer().accumulate()));
        metrics.put("precision", c.run().precision().cliName());
        if (!t.steps().isEmpty()) {
            metrics.put("telemetry", StepTelemetry.summary(t.steps()));
        }
        if (p.manifest().task() == Task.LANGUAGE_MODEL) {
            metrics.put("samples", TrainedSamples.of(t.net(), p.manifest(), c.run().seed()));
        }
        metrics.put("data_check", t.checked().toJson());
        metrics.put("auto_resumes", restarts);
        RunPublisher.publish(storage, p, t.net(), metrics, t.steps(), emaNet, ctx.log());
        LOG.info("train: wrote {} (test accuracy {}, loss {})", p.out(), String.format("%.4f", t.test().accuracy()),
                String.format("%.4f", t.test().loss()));
        return new Result(p.out(), metrics);
    }

    /** A new network: initialised from the seed, and for resnet50-transfer the backbone of --weights. */
    static ComputationGraph initialised(TrainingPlan p, HadoopStorage storage) {
        ComputationGraph net = new ComputationGraph(p.graph());
        net.init();
        try {
            pretrained(p, storage, net);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return net;
    }

    /** resnet50-transfer: the backbone weights of --weights, read from any Hadoop URI; never downloaded. */
    static void pretrained(TrainingPlan p, HadoopStorage storage, ComputationGraph net) throws java.io.IOException {
        if (p.arch() != Architecture.RESNET50_TRANSFER) {
            return;
        }
        String given = p.config().model().weights();
        if (given == null) {
            LOG.warn("train: no --weights: the ResNet50 backbone starts from random initialisation (nothing is downloaded; pass --weights=<DL4J zip of the zoo's ResNet50> for pretrained weights)");
            return;
        }
        String weights = storage.qualify(given); // the plan checked that it exists
        ResNet50Transfer.loadBackbone(net, storage.readAll(weights), weights);
        LOG.info("train: loaded the ResNet50 backbone from {}", weights);
    }

    private TrainJob() {}
}
