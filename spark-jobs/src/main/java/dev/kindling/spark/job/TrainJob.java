package dev.kindling.spark.job;

import dev.kindling.core.config.Config;
import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Keys;
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
    /** The EMA weights ({@code --ema-decay}) as a complete model beside model.zip. */
    public static final String EMA_MODEL = "ema-model.zip";

    /** @param out the run directory; @param metrics what metrics.json holds */
    public record Result(String out, Map<String, Object> metrics) {}

    /** Everything checked before any work starts. */
    record Plan(Architecture arch, String dist, int epochs, int patience, long seed, CosineAnnealing schedule,
                double weightDecay, double clipNorm, Duration timeout, int progressSeconds, String data,
                String out, Manifest manifest, ComputationGraphConfiguration graph, boolean resume, int checkpointEvery,
                int keepCheckpoints, LrSchedules lr, OptimizerSpec optimizer, double emaDecay, Precision precision,
                double budgetSeconds, String encoding) {

        /** Optimizer steps per epoch: train shards / --accumulate, rounded up. */
        long stepsPerEpoch() {
            return stepsPerEpoch(1);
        }

        /** The same with Kindling's master (dense, topk) on {@code workers}: an optimizer step per round of one shard per worker. */
        long stepsPerEpoch(int workers) {
            long rounds = (manifest.split("train").shards() + workers - 1) / workers;
            return (rounds + optimizer.accumulate() - 1) / optimizer.accumulate();
        }

        /** The learning rate at an epoch's start, for the progress log and metrics history. */
        double lrAt(int epoch) {
            return lrAt(epoch, 1);
        }

        double lrAt(int epoch, int workers) {
            return lr.atEpochStart(epoch, stepsPerEpoch(workers));
        }

        /** Where checkpoints live until the run is published as {@link #out}. */
        String staging() {
            return RunDirectory.staging(out);
        }
    }

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
    public static Result run(Config c) throws Exception {
        int retries = c.intValue(Keys.AUTO_RESUME, n -> n >= 0);
        Config attempt = c;
        for (int restarts = 0; ; restarts++) {
            try {
                return runOnce(attempt, restarts);
            } catch (Interrupted e) {
                if (restarts >= retries || !e.checkpointed) {
                    throw e;
                }
                LOG.warn("train: {}", e.getMessage());
                LOG.warn("train: auto-resume {} of {}: restarting from the newest checkpoint of {}", restarts + 1, retries, e.out);
                attempt = c.with(Keys.RESUME, e.out);
                if (attempt.string(Keys.DIST).equals("shared")) {
                    Masters.releaseDriverTransport(attempt);
                }
            }
        }
    }

    /** @param restarts how often this run was auto-resumed before, reported in metrics.json */
    static Result runOnce(Config c, int restarts) throws Exception {
        HadoopStorage storage = new HadoopStorage();
        Plan p = plan(c, storage);
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
        Checkpoints checkpoints = new Checkpoints(storage, p.staging(), p.keepCheckpoints());
        Optional<Checkpoints.Resumed> resumed = p.resume() ? checkpoints.latest() : Optional.empty();
        if (p.resume() && resumed.isEmpty()) {
            throw new ConfigException("resume=" + p.out() + ": " + p.staging() + " holds no complete checkpoint; start a new run instead");
        }
        resumed.ifPresent(r -> LOG.info("train: resuming from checkpoint {} (epoch {}, step {} of it)", r.name(), r.state().epoch + 1,
                r.state().stepInEpoch));
        ImageAugmentation augmentation = ImageAugmentation.parse(c.string(Keys.AUGMENT), p.manifest());
        EpochLoop.LoopState state = resumed.map(Checkpoints.Resumed::state).orElseGet(EpochLoop.LoopState::new);
        if (p.arch() == Architecture.SCRATCH_MLP) {
            checked = checkShards(c, p, storage, null);
            train = checked.usable().get("train");
            val = checked.usable().get("val");
            test = checked.usable().get("test");
            ScratchEpochs scratch = new ScratchEpochs(p.manifest().featureWidth(), classes, p.schedule().baseLr(), p.seed(),
                    train, val, loader);
            outcome = EpochLoop.run(scratch.graph(), scratch, p.epochs(), p.patience(), e -> p.schedule().baseLr());
            steps = List.of(); // the scratch net's own loop has no DL4J listeners
            net = scratch.graph();
            finalMetrics = Evaluator.evaluate(net, p.manifest(), test.stream().map(loader).iterator());
        } else {
            if (resumed.isPresent()) {
                net = resumed.get().net();
            } else {
                net = new ComputationGraph(p.graph());
                net.init();
                pretrained(c, p, storage, net);
            }
            LOG.info("train: model={} params={} data={} ({} train examples) dist={}", p.arch().cliName(), net.numParams(),
                    p.manifest().name(), p.manifest().split("train").examples(), p.dist());
            if (p.dist().equals("local")) {
                checked = checkShards(c, p, storage, null);
                train = checked.usable().get("train");
                val = checked.usable().get("val");
                test = checked.usable().get("test");
                Progress progress = new Progress((long) p.epochs() * train.size(), p.progressSeconds());
                LocalTrainer trainer = new LocalTrainer(net, train, val, loader, p.manifest(), p.seed(), progress, listeners(p, telemetry),
                        augmentation);
                ema = ema(p, net, state);
                if (ema != null) {
                    trainer.ema(ema, p.optimizer().accumulate());
                }
                try {
                    outcome = EpochLoop.run(net, trainer, p.epochs(), p.patience(), p::lrAt, state, p.checkpointEvery(),
                            checkpoints, p.budgetSeconds());
                } catch (Divergence d) {
                    throw new IllegalStateException(d.getMessage() + resumeHint(checkpoints, p), d);
                }
                steps = telemetry.ownRecords(StepTelemetry.drain());
                finalMetrics = Evaluator.evaluate(net, p.manifest(), test.stream().map(loader).iterator());
            } else {
                try (JavaSparkContext sc = SparkJobs.context(c, "train")) {
                    checked = checkShards(c, p, storage, sc);
                    train = checked.usable().get("train");
                    val = checked.usable().get("val");
                    test = checked.usable().get("test");
                    workers = SparkJobs.workers(sc);
                    Preflight.require(PreflightJob.checks(sc, c, net.numParams()));
                    boolean shared = p.dist().equals("shared");
                    // dense and topk: Kindling's own master; threshold: DL4J's
                    boolean kindlingMaster = shared && !p.encoding().equals("threshold");
                    Map<String, Long> aeronBefore = shared ? AeronTraffic.snapshot(sc) : null;
                    long stepsBefore = state.steps; // a resumed run counts only the traffic of its own steps
                    SparkComputationGraph sparkNet = null;
                    EpochLoop.Epochs trainer;
                    Supplier<ComputationGraph> current;
                    if (kindlingMaster) {
                        ComputationGraph driverNet = net;
                        trainer = new AllReduceTrainer(sc, net, train, val, p.manifest(), storage, listeners(p, telemetry), p.seed(),
                                augmentation, workers, Masters.peerTimeout(c), p.timeout(), p.progressSeconds(), p.progressSeconds(),
                                p.encoding().equals("topk") ? Masters.topkDensity(c) : 0);
                        current = () -> driverNet;
                    } else {
                        sparkNet = new SparkComputationGraph(sc, net, Masters.build(c, p.manifest().batchSize(), workers, workersPerNode(sc)));
                        sparkNet.setListeners(listeners(p, telemetry));
                        int chunk = p.dist().equals("averaging") ? workers * Masters.averagingFrequency(c) : 0;
                        trainer = new SparkTrainer(sc, sparkNet, train, val, p.manifest().split("train").examples(),
                                p.manifest(), p.seed(), p.timeout(), p.progressSeconds(), chunk, augmentation);
                        current = sparkNet::getNetwork;
                    }
                    int replicas = kindlingMaster ? workers : 1; // optimizer steps per epoch count rounds with Kindling's master
                    ema = ema(p, net, state);
                    EpochLoop.Epochs epochs = ema == null ? trainer : withEma(trainer, ema, current, p.stepsPerEpoch(replicas));
                    try {
                        // threshold-shared: BatchNorm statistics travel encoded and lag; the driver's copy is re-estimated
                        EpochLoop.Epochs fitted = shared && !kindlingMaster && BatchNormStatistics.present(current.get())
                                ? BatchNormStatistics.recalibratingBeforeValidation(epochs, current, train, loader, 8) : epochs;
                        outcome = EpochLoop.run(current.get(), fitted, p.epochs(), p.patience(), e -> p.lrAt(e, replicas), state, 0,
                                checkpoints, p.budgetSeconds());
                    } catch (Watchdog.TimeoutError | SparkTrainer.NoProgress | org.apache.spark.SparkException e) {
                        throw new Interrupted(e.getMessage() + resumeHint(checkpoints, p), e, p.out(), checkpoints.newestName().isPresent());
                    }
                    if (aeronBefore != null) {
                        comm = comm(AeronTraffic.sentBetween(aeronBefore, AeronTraffic.snapshot(sc)), net.numParams(),
                                outcome.steps() - stepsBefore);
                        comm.put("encoding", p.encoding());
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
        Map<String, Object> metrics = MetricsJson.train(p.arch().cliName(), p.manifest().name(), p.dist(), workers,
                outcome.history().size(), outcome, wall, finalMetrics.toJson(), comm);
        if (emaFinal != null) {
            metrics.put("ema", Map.of("decay", ema.decay(), "final", emaFinal));
        }
        metrics.put("optimizer", Map.of("name", p.optimizer().name(), "schedule", p.lr().name(), "accumulate", p.optimizer().accumulate()));
        metrics.put("precision", p.precision().cliName());
        if (!steps.isEmpty()) {
            metrics.put("telemetry", StepTelemetry.summary(steps));
        }
        metrics.put("data_check", checked.toJson());
        metrics.put("auto_resumes", restarts);
        publish(storage, p, c, net, metrics, steps, emaNet);
        LOG.info("train: wrote {} (test accuracy {}, loss {})", p.out(), String.format("%.4f", finalMetrics.accuracy()),
                String.format("%.4f", finalMetrics.loss()));
        return new Result(p.out(), metrics);
    }

    /** resnet50-transfer: the backbone weights of --weights, read from any Hadoop URI; never downloaded. */
    static void pretrained(Config c, Plan p, HadoopStorage storage, ComputationGraph net) throws java.io.IOException {
        if (p.arch() != Architecture.RESNET50_TRANSFER) {
            return;
        }
        if (!c.has(Keys.WEIGHTS)) {
            LOG.warn("train: no --weights: the ResNet50 backbone starts from random initialisation (nothing is downloaded; pass --weights=<DL4J zip of the zoo's ResNet50> for pretrained weights)");
            return;
        }
        String weights = storage.qualify(c.string(Keys.WEIGHTS)); // plan() checked that it exists
        ResNet50Transfer.loadBackbone(net, storage.readAll(weights), weights);
        LOG.info("train: loaded the ResNet50 backbone from {}", weights);
    }

    /** Where a failed run can continue from. */
    static String resumeHint(Checkpoints checkpoints, Plan p) throws java.io.IOException {
        return checkpoints.newestName()
                .map(n -> " (last good checkpoint: " + n + " in " + p.staging() + "; continue with --resume=" + p.out() + ")")
                .orElse(" (no checkpoint yet)");
    }

    /**
     * Every shard checked against the manifest before training: on the executors of {@code sc}, or in
     * this JVM when it is null. Bad shards fail the run unless --skip-bad-shards.
     */
    static ShardCheck.Report checkShards(Config c, Plan p, HadoopStorage storage, JavaSparkContext sc) {
        boolean skip = Boolean.parseBoolean(c.oneOf(Keys.SKIP_BAD_SHARDS, List.of("true", "false")));
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

    static Plan plan(Config c, HadoopStorage storage) throws java.io.IOException {
        Architecture arch = Architecture.byName(c.string(Keys.MODEL));
        String dist = c.oneOf(Keys.DIST, List.of("shared", "averaging", "local"));
        int epochs = c.intValue(Keys.EPOCHS, n -> n >= 1);
        int patience = c.intValue(Keys.PATIENCE, n -> n >= 0);
        long seed = c.longValue(Keys.SEED, s -> true);
        double lr = c.doubleValue(Keys.LR, v -> v > 0);
        CosineAnnealing schedule = new CosineAnnealing(lr, c.intValue(Keys.T_MAX, n -> n >= 1),
                c.doubleValue(Keys.MIN_LR, v -> v >= 0 && v < lr));
        double wd = c.doubleValue(Keys.WEIGHT_DECAY, v -> v >= 0);
        double clip = c.doubleValue(Keys.CLIP_NORM, v -> v >= 0);
        Duration timeout = Duration.ofMillis(Math.round(60_000 * c.doubleValue(Keys.TIMEOUT_MINUTES, v -> v > 0 && v <= 1e6)));
        int progress = c.intValue(Keys.PROGRESS_SECONDS, n -> n >= 1);
        if (!arch.distributed() && !dist.equals("local")) {
            throw new ConfigException("model=" + arch.cliName() + " trains in one JVM only: pass --dist=local");
        }
        Masters.checkKeys(c, dist);
        int checkpointEvery = c.intValue(Keys.CHECKPOINT_EVERY, n -> n >= 0);
        int keep = c.intValue(Keys.KEEP_CHECKPOINTS, n -> n >= 1);
        boolean resume = c.has(Keys.RESUME);
        String data = storage.qualify(c.string(Keys.DATA));
        String out = storage.qualify(resume ? c.string(Keys.RESUME) : c.string(Keys.OUT));
        if (resume && c.has(Keys.OUT) && !storage.qualify(c.string(Keys.OUT)).equals(out)) {
            throw new ConfigException("resume=" + out + " but out=" + c.string(Keys.OUT) + ": a resumed run keeps its --out; drop --out or make them equal");
        }
        if (resume && arch == Architecture.SCRATCH_MLP) {
            throw new ConfigException("model=scratch-mlp: its hand-written trainer does not checkpoint; start it again instead of --resume");
        }
        String staging = RunDirectory.staging(out);
        if (resume && !storage.exists(staging)) {
            throw new ConfigException("resume=" + out + ": no interrupted run there (" + staging + " does not exist)");
        }
        if (!resume && storage.exists(staging)) {
            throw new ConfigException("out=" + out + ": an interrupted run is at " + staging + "; continue it with --resume=" + out + " or delete it");
        }
        Manifest m = Shards.manifest(storage, data);
        for (String split : List.of("train", "val", "test")) {
            if (m.split(split).examples() == 0) {
                throw new ConfigException("data=" + data + ": split " + split + " is empty; prepare a dataset with examples in train, val and test");
            }
        }
        arch.checkFits(m);
        ImageAugmentation.parse(c.string(Keys.AUGMENT), m); // checked here, built again in run()
        if (arch == Architecture.RESNET50_TRANSFER && c.has(Keys.WEIGHTS) && !storage.exists(storage.qualify(c.string(Keys.WEIGHTS)))) {
            throw new ConfigException("weights=" + c.string(Keys.WEIGHTS) + ": not found; pass the URI of a DL4J zip of the zoo's ResNet50 (Kindling never downloads weights), or leave --weights unset for random initialisation");
        }
        int accumulate = c.intValue(Keys.ACCUMULATE, n -> n >= 1);
        LrSchedules lrs = LrSchedules.from(c, (m.split("train").shards() + accumulate - 1) / accumulate, epochs);
        OptimizerSpec optimizer = OptimizerSpec.from(c, lrs.schedule());
        double emaDecay = c.doubleValue(Keys.EMA_DECAY, v -> v >= 0 && v < 1);
        if (dist.equals("averaging") && accumulate > 1 && Masters.averagingFrequency(c) % accumulate != 0) {
            throw new ConfigException("accumulate=" + accumulate + " with averaging-frequency=" + c.string(Keys.AVERAGING_FREQUENCY)
                    + ": parameters would be averaged in the middle of an accumulation group; make --averaging-frequency a multiple of --accumulate");
        }
        if (arch == Architecture.SCRATCH_MLP && (accumulate > 1 || emaDecay > 0 || !optimizer.name().equals("adamw"))) {
            throw new ConfigException("model=scratch-mlp: its hand-written trainer has its own SGD loop; drop --optimizer, --accumulate and --ema-decay");
        }
        double budgetMinutes = c.doubleValue(Keys.MAX_TRAIN_MINUTES, v -> v >= 0 && v <= 1e6);
        double budget = budgetMinutes == 0 ? Double.POSITIVE_INFINITY : 60 * budgetMinutes;
        Precision precision = Precision.byName(c.oneOf(Keys.PRECISION, Precision.names()));
        if (arch == Architecture.SCRATCH_MLP && precision != Precision.FP32) {
            throw new ConfigException("model=scratch-mlp: its hand-written trainer computes in DOUBLE; drop --precision");
        }
        ComputationGraphConfiguration graph = arch.distributed()
                ? optimizer.finish(arch.configure(m, c, optimizer.defaults(seed, DataType.FLOAT))) : null;
        if (graph != null) {
            try {
                List<String> half = MixedPrecision.apply(graph, precision, arch.cliName());
                if (!half.isEmpty()) {
                    LOG.info("train: precision {}: layers {} compute in {} ({}), master weights and optimizer state in fp32{}",
                            precision.cliName(), half, precision.compute(), HalfPrecision.nativeKernels() ? "ND4J's half-precision kernels"
                                    : "values rounded to it, fp32 arithmetic: the CPU backend has no half-precision BLAS",
                            precision.lossScaling() ? "; dynamic loss scaling from 2^16" : "");
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException(e.getMessage());
            }
        }
        RunDirectory.checkAbsent(storage, out);
        return new Plan(arch, dist, epochs, patience, seed, schedule, wd, clip, timeout, progress, data, out, m, graph, resume,
                checkpointEvery, keep, lrs, optimizer, emaDecay, precision, budget,
                dist.equals("shared") ? Masters.encoding(c, arch) : "none");
    }

    static List<TrainingListener> listeners(Plan p, StepTelemetry telemetry) {
        List<TrainingListener> l = new ArrayList<>();
        if (p.precision().lossScaling()) {
            l.add(new LossScaling()); // before clipping: an overflowing step is skipped, not clipped
        }
        if (p.clipNorm() > 0) {
            l.add(new GlobalNormClipping(p.clipNorm()));
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
    static Ema ema(Plan p, ComputationGraph net, EpochLoop.LoopState state) {
        if (p.emaDecay() == 0) {
            return null;
        }
        Ema ema = state.ema != null ? new Ema(p.emaDecay(), state.ema) : Ema.of(net, p.emaDecay());
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

    static void publish(HadoopStorage storage, Plan p, Config c, ComputationGraph net, Map<String, Object> metrics,
                        List<String> steps, ComputationGraph emaNet) throws java.io.IOException {
        byte[] config = c.toProperties().getBytes(StandardCharsets.UTF_8);
        byte[] provenance = MetricsJson.pretty(Provenance.of(p.manifest(), p.seed(), p.data()));
        Map<String, byte[]> extra = new LinkedHashMap<>();
        extra.put(ModelStore.CONFIG_ENTRY, config);
        extra.put(ModelStore.PROVENANCE_ENTRY, provenance);
        extra.put(ModelStore.MANIFEST_ENTRY, p.manifest().toJson());
        byte[] tokenizer = GenerateJob.tokenizerEntry(p.manifest());
        if (tokenizer != null) {
            extra.put(GenerateJob.TOKENIZER_ENTRY, tokenizer);
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("model.zip", ModelStore.toBytes(net, p.arch(), extra));
        if (emaNet != null) {
            files.put(EMA_MODEL, ModelStore.toBytes(emaNet, p.arch(), extra));
        }
        files.put("metrics.json", MetricsJson.pretty(metrics));
        files.put("config.properties", config);
        files.put("provenance.json", provenance);
        if (!steps.isEmpty()) {
            files.put("telemetry.csv", (StepTelemetry.HEADER + "\n" + String.join("\n", steps) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        RunDirectory.publishFrom(storage, p.staging(), p.out(), files);
    }

    private TrainJob() {}
}
