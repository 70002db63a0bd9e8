package dev.kindling.spark.job;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.ShardCheck;
import dev.kindling.core.data.Shards;
import dev.kindling.core.io.RunDirectory;
import dev.kindling.core.model.Architecture;
import dev.kindling.core.model.ModelStore;
import dev.kindling.core.model.NetDefaults;
import dev.kindling.core.model.ResNet50Transfer;
import dev.kindling.core.optim.GlobalNormClipping;
import dev.kindling.core.precision.HalfPrecision;
import dev.kindling.core.precision.LossScaling;
import dev.kindling.core.precision.MixedPrecision;
import dev.kindling.core.precision.Precision;
import dev.kindling.core.optim.OptimizerSpec;
import dev.kindling.core.schedule.LrSchedules;
import dev.kindling.core.schedule.CosineAnnealing;
import dev.kindling.core.train.BatchNormStatistics;
import dev.kindling.core.train.Checkpoints;
import dev.kindling.core.train.Divergence;
import dev.kindling.core.train.Ema;
import dev.kindling.core.train.EpochLoop;
import dev.kindling.core.train.Evaluator;
import dev.kindling.core.train.LocalTrainer;
import dev.kindling.core.train.MetricsJson;
import dev.kindling.core.train.Progress;
import dev.kindling.core.train.ScratchEpochs;
import dev.kindling.core.train.StepTelemetry;
import dev.kindling.core.train.TaskMetrics;
import dev.kindling.core.vision.ImageAugmentation;
import dev.kindling.spark.config.Dist;
import dev.kindling.spark.config.Encoding;
import dev.kindling.spark.config.RunConfig;
import dev.kindling.spark.config.TrainConfig;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.master.AeronTraffic;
import dev.kindling.spark.master.AllReduceTrainer;
import dev.kindling.spark.master.DistributedEvaluation;
import dev.kindling.spark.master.Masters;
import dev.kindling.spark.master.Preflight;
import dev.kindling.spark.master.SparkTrainer;
import dev.kindling.spark.master.Telemetry;
import dev.kindling.spark.master.Watchdog;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
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
        RunConfig run = c.run();
        Function<String, DataSet> loader = path -> Shards.load(storage, path);
        ShardCheck.Report checked;
        List<String> train;
        List<String> val;
        List<String> test;
        int classes = p.manifest().numClasses();
        long t0 = System.nanoTime();
        ComputationGraph net;
        EpochLoop.Outcome outcome;
        TaskMetrics finalMetrics;
        int workers = 1;
        Ema ema = null;
        Map<String, Object> emaFinal = null;
        Map<String, Object> comm = null;
        List<String> steps;
        StepTelemetry telemetry = StepTelemetry.forRun();
        Checkpoints checkpoints = new Checkpoints(storage, p.staging(), run.keepCheckpoints());
        Optional<Checkpoints.Resumed> resumed = p.resume() ? checkpoints.latest() : Optional.empty();
        if (p.resume() && resumed.isEmpty()) {
            throw new ConfigException("resume=" + p.out() + ": " + p.staging() + " holds no complete checkpoint; start a new run instead");
        }
        resumed.ifPresent(r -> LOG.info("train: resuming from checkpoint {} (epoch {}, step {} of it)", r.name(), r.state().epoch + 1,
                r.state().stepInEpoch));
        ImageAugmentation augmentation = ImageAugmentation.parse(run.augment(), p.manifest());
        EpochLoop.LoopState state = resumed.map(Checkpoints.Resumed::state).orElseGet(EpochLoop.LoopState::new);
        if (p.arch() == Architecture.SCRATCH_MLP) {
            checked = checkShards(p, storage, null);
            train = checked.usable().get("train");
            val = checked.usable().get("val");
            test = checked.usable().get("test");
            double lr = c.schedule().lr();
            ScratchEpochs scratch = new ScratchEpochs(p.manifest().featureWidth(), classes, lr, run.seed(), train, val, loader);
            outcome = EpochLoop.run(scratch.graph(), scratch, run.epochs(), run.patience(), e -> lr);
            steps = List.of(); // the scratch net's own loop has no DL4J listeners
            net = scratch.graph();
            finalMetrics = Evaluator.evaluate(net, p.manifest(), test.stream().map(loader).iterator());
        } else {
            if (resumed.isPresent()) {
                net = resumed.get().net();
            } else {
                net = new ComputationGraph(p.graph());
                net.init();
                pretrained(p, storage, net);
            }
            LOG.info("train: model={} params={} data={} ({} train examples) dist={}", p.arch().cliName(), net.numParams(),
                    p.manifest().name(), p.manifest().split("train").examples(), p.dist());
            if (p.dist() == Dist.LOCAL) {
                checked = checkShards(p, storage, null);
                train = checked.usable().get("train");
                val = checked.usable().get("val");
                test = checked.usable().get("test");
                Progress progress = new Progress((long) run.epochs() * train.size(), run.progressSeconds());
                LocalTrainer trainer = new LocalTrainer(net, train, val, loader, p.manifest(), run.seed(), progress, listeners(p, telemetry),
                        augmentation);
                ema = ema(p, net, state);
                if (ema != null) {
                    trainer.ema(ema, p.optimizer().accumulate());
                }
                try {
                    outcome = EpochLoop.run(net, trainer, run.epochs(), run.patience(), p::lrAt, state, run.checkpointEvery(),
                            checkpoints, p.budgetSeconds());
                } catch (Divergence d) {
                    throw new IllegalStateException(d.getMessage() + resumeHint(checkpoints, p), d);
                }
                steps = telemetry.ownRecords(StepTelemetry.drain());
                finalMetrics = Evaluator.evaluate(net, p.manifest(), test.stream().map(loader).iterator());
            } else {
                try (JavaSparkContext sc = SparkJobs.context(run.master(), "train")) {
                    checked = checkShards(p, storage, sc);
                    train = checked.usable().get("train");
                    val = checked.usable().get("val");
                    test = checked.usable().get("test");
                    workers = SparkJobs.workers(sc);
                    Preflight.require(Preflight.sparkChecks(sc, c.dist(), net.numParams()));
                    boolean shared = p.dist() == Dist.SHARED;
                    // dense and topk: Kindling's own master; threshold: DL4J's
                    boolean kindlingMaster = shared && p.encoding().kindlingMaster();
                    Map<String, Long> aeronBefore = shared ? AeronTraffic.snapshot(sc) : null;
                    long stepsBefore = state.steps; // a resumed run counts only the traffic of its own steps
                    SparkComputationGraph sparkNet = null;
                    EpochLoop.Epochs trainer;
                    Supplier<ComputationGraph> current;
                    if (kindlingMaster) {
                        ComputationGraph driverNet = net;
                        trainer = new AllReduceTrainer(sc, net, train, val, p.manifest(), storage, listeners(p, telemetry), run.seed(),
                                augmentation, workers, c.dist().peerTimeout(), c.dist().timeout(), run.progressSeconds(), run.progressSeconds(),
                                p.encoding() == Encoding.TOPK ? c.dist().topkDensity() : 0);
                        current = () -> driverNet;
                    } else {
                        sparkNet = new SparkComputationGraph(sc, net, Masters.build(c.dist(), run.seed(), p.manifest().batchSize(), workers,
                                workersPerNode(sc)));
                        sparkNet.setListeners(listeners(p, telemetry));
                        int chunk = p.dist() == Dist.AVERAGING ? workers * c.dist().averagingFrequency() : 0;
                        trainer = new SparkTrainer(sc, sparkNet, train, val, p.manifest().split("train").examples(),
                                p.manifest(), run.seed(), c.dist().timeout(), run.progressSeconds(), chunk, augmentation);
                        current = sparkNet::getNetwork;
                    }
                    int replicas = kindlingMaster ? workers : 1; // optimizer steps per epoch count rounds with Kindling's master
                    ema = ema(p, net, state);
                    EpochLoop.Epochs epochs = ema == null ? trainer : withEma(trainer, ema, current, p.stepsPerEpoch(replicas));
                    try {
                        // threshold-shared: BatchNorm statistics travel encoded and lag; the driver's copy is re-estimated
                        EpochLoop.Epochs fitted = shared && !kindlingMaster && BatchNormStatistics.present(current.get())
                                ? BatchNormStatistics.recalibratingBeforeValidation(epochs, current, train, loader, 8) : epochs;
                        outcome = EpochLoop.run(current.get(), fitted, run.epochs(), run.patience(), e -> p.lrAt(e, replicas), state, 0,
                                checkpoints, p.budgetSeconds());
                    } catch (Watchdog.TimeoutError | SparkTrainer.NoProgress | org.apache.spark.SparkException e) {
                        throw new Interrupted(e.getMessage() + resumeHint(checkpoints, p), e, p.out(), checkpoints.newestName().isPresent());
                    }
                    if (aeronBefore != null) {
                        comm = comm(AeronTraffic.sentBetween(aeronBefore, AeronTraffic.snapshot(sc)), net.numParams(),
                                outcome.steps() - stepsBefore);
                        comm.put("encoding", p.encoding().cliName());
                        if (trainer instanceof AllReduceTrainer dt) {
                            comm.put("allreduce_s", dt.reduceSeconds());
                        }
                    }
                    steps = telemetry.ownRecords(Telemetry.drain(sc));
                    net = current.get();
                    finalMetrics = DistributedEvaluation.evaluate(sc, net, test, p.manifest());
                    if (sparkNet != null) {
                        sparkNet.getTrainingMaster().deleteTempFiles(sc);
                    }
                }
            }
        }
        ComputationGraph emaNet = null;
        if (ema != null) {
            emaNet = ema.model(net);
            TaskMetrics emaMetrics = Evaluator.evaluate(emaNet, p.manifest(), test.stream().map(loader).iterator());
            LOG.info("train: EMA (decay {}) weights: test loss {}", ema.decay(), String.format("%.4f", emaMetrics.loss()));
            emaFinal = emaMetrics.toJson();
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> metrics = MetricsJson.train(p.arch().cliName(), p.manifest().name(), p.dist().cliName(), workers,
                outcome.history().size(), outcome, wall, finalMetrics.toJson(), comm);
        if (emaFinal != null) {
            metrics.put("ema", Map.of("decay", ema.decay(), "final", emaFinal));
        }
        metrics.put("optimizer", Map.of("name", p.optimizer().name(), "schedule", p.lr().name().cliName(), "accumulate", p.optimizer().accumulate()));
        metrics.put("precision", run.precision().cliName());
        if (!steps.isEmpty()) {
            metrics.put("telemetry", StepTelemetry.summary(steps));
        }
        metrics.put("data_check", checked.toJson());
        metrics.put("auto_resumes", restarts);
        RunPublisher.publish(storage, p, net, metrics, steps, emaNet);
        LOG.info("train: wrote {} (test accuracy {}, loss {})", p.out(), String.format("%.4f", finalMetrics.accuracy()),
                String.format("%.4f", finalMetrics.loss()));
        return new Result(p.out(), metrics);
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

    /** Where a failed run can continue from. */
    static String resumeHint(Checkpoints checkpoints, TrainingPlan p) throws java.io.IOException {
        return checkpoints.newestName()
                .map(n -> " (last good checkpoint: " + n + " in " + p.staging() + "; continue with --resume=" + p.out() + ")")
                .orElse(" (no checkpoint yet)");
    }

    /**
     * Every shard checked against the manifest before training: on the executors of {@code sc}, or in
     * this JVM when it is null. Bad shards fail the run unless --skip-bad-shards.
     */
    static ShardCheck.Report checkShards(TrainingPlan p, HadoopStorage storage, JavaSparkContext sc) {
        boolean skip = p.config().run().skipBadShards();
        Manifest m = p.manifest();
        List<ShardCheck.Result> results;
        if (sc == null) {
            results = ShardCheck.checkAll(storage, p.data(), m);
        } else {
            List<ShardCheck.Item> items = ShardCheck.items(storage, p.data(), m);
            results = sc.parallelize(items, Math.max(1, Math.min(items.size(), sc.defaultParallelism() * 4)))
                    .map(item -> item.check(storage, m)).collect();
        }
        ShardCheck.Report report = ShardCheck.report(results, m, p.data(), skip);
        for (ShardCheck.Result r : report.bad()) {
            LOG.warn("train: skipping bad shard {}: {}", r.path, r.problem);
        }
        LOG.info("train: checked {} shards ({} bad)", results.size(), report.bad().size());
        return report;
    }

    static List<TrainingListener> listeners(TrainingPlan p, StepTelemetry telemetry) {
        List<TrainingListener> l = new ArrayList<>();
        if (p.config().run().precision().lossScaling()) {
            l.add(new LossScaling()); // before clipping: an overflowing step is skipped, not clipped
        }
        double clipNorm = p.config().optim().clipNorm();
        if (clipNorm > 0) {
            l.add(new GlobalNormClipping(clipNorm));
        }
        l.add(telemetry);
        return l;
    }

    /**
     * Bytes the gradient sharing sent (Aeron's counters) against one dense fp32 gradient per trained
     * minibatch ({@code params x 4 x steps}); compression is their ratio.
     */
    static Map<String, Object> comm(long bytesSent, long params, long steps) {
        Map<String, Object> m = new LinkedHashMap<>();
        long dense = params * 4L * steps;
        m.put("bytes_sent", bytesSent);
        m.put("dense_bytes", dense);
        m.put("compression", bytesSent == 0 ? null : (double) dense / bytesSent);
        LOG.info("train: gradient sharing sent {} bytes over Aeron; dense fp32 would be {} bytes (compression {})", bytesSent, dense,
                bytesSent == 0 ? "n/a: no traffic between JVMs" : String.format("%.1fx", (double) dense / bytesSent));
        return m;
    }

    /** local[N]: N replicas in the one JVM share encoded updates; on a cluster one per executor. */
    static int workersPerNode(JavaSparkContext sc) {
        String master = sc.master();
        return master.startsWith("local") ? Math.max(1, sc.defaultParallelism()) : 1;
    }

    /** The run's EMA ({@code --ema-decay}), continuing a resumed one; null when off. */
    static Ema ema(TrainingPlan p, ComputationGraph net, EpochLoop.LoopState state) {
        double decay = p.config().optim().emaDecay();
        if (decay == 0) {
            return null;
        }
        Ema ema = state.ema != null ? new Ema(decay, state.ema) : Ema.of(net, decay);
        state.ema = ema.shadow();
        return ema;
    }

    /**
     * The Spark masters return parameters once per {@code fitPaths}: the EMA moves by an epoch's
     * optimizer steps at once ({@link Ema#updateAfter}), an approximation of the per-step EMA.
     */
    static EpochLoop.Epochs withEma(EpochLoop.Epochs inner, Ema ema, Supplier<ComputationGraph> net, long stepsPerEpoch) {
        return new EpochLoop.Epochs() {
            @Override
            public EpochLoop.EpochFit fit(int epoch, int startStep, EpochLoop.StepHook afterStep) throws Exception {
                EpochLoop.EpochFit fit = inner.fit(epoch, startStep, afterStep);
                ema.updateAfter(net.get().params(), stepsPerEpoch);
                return fit;
            }

            @Override
            public TaskMetrics validate() throws Exception {
                return inner.validate();
            }
        };
    }

    private TrainJob() {}
}
