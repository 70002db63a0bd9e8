package dev.kindling.spark.job;

import dev.kindling.core.data.ShardCheck;
import dev.kindling.core.metrics.TaskMetrics;
import dev.kindling.core.train.BatchNormStatistics;
import dev.kindling.core.train.Ema;
import dev.kindling.core.train.EpochLoop;
import dev.kindling.core.train.ProgressLine;
import dev.kindling.spark.allreduce.AllReduceTrainer;
import dev.kindling.spark.allreduce.RankTime;
import dev.kindling.spark.config.Dist;
import dev.kindling.spark.config.DistConfig;
import dev.kindling.spark.config.Encoding;
import dev.kindling.spark.config.RunConfig;
import dev.kindling.spark.legacy.Masters;
import dev.kindling.spark.legacy.SparkTrainer;
import dev.kindling.spark.runtime.AeronTraffic;
import dev.kindling.spark.runtime.DistributedEvaluation;
import dev.kindling.spark.runtime.DriverProgress;
import dev.kindling.spark.runtime.Preflight;
import dev.kindling.spark.runtime.Telemetry;
import dev.kindling.spark.runtime.Watchdog;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --dist=shared|averaging}: the choice of engine and its run on the Spark executors. Kindling's
 * all-reduce master for {@code dense} and {@code topk}; DL4J's SharedTrainingMaster ({@code threshold})
 * or ParameterAveragingTrainingMaster ({@code averaging}) when asked for by name.
 */
final class DistributedTraining {
    private static final Logger LOG = LoggerFactory.getLogger(DistributedTraining.class);

    /** An engine for one run: its epochs and the driver's current copy of the network. */
    private record Engine(EpochLoop.Epochs epochs, Supplier<ComputationGraph> current, SparkComputationGraph dl4j) {}

    /** The run directory's folder for Spark's event log (the History Server's {@code spark.history.fs.logDirectory}). */
    static final String SPARK_EVENTS = "spark-events";

    /** @param network the network for a plan: a new one, or the resumed checkpoint's */
    static TrainingContext.Trained run(TrainingContext context, Function<TrainingPlan, ComputationGraph> network) throws Exception {
        TrainingContext ctx = context;
        TrainingPlan p = ctx.plan();
        RunConfig run = p.config().run();
        DistConfig dist = p.config().dist();
        String sparkEvents = ctx.storage().child(p.staging(), SPARK_EVENTS);
        ctx.storage().mkdirs(sparkEvents);
        try (JavaSparkContext sc = SparkJobs.context(run.master(), "train", ctx.storage().qualify(sparkEvents))) {
            ShardCheck.Report checked = ctx.checkShards(sc);
            List<String> train = checked.usable().get("train");
            int workers = SparkJobs.workers(sc);
            boolean shared = p.dist() == Dist.SHARED;
            boolean kindlingMaster = p.kindlingMaster();
            // an optimizer step per round of the workers: a per-step schedule whose length is derived counts rounds
            if (kindlingMaster && workers > 1 && p.lr().perStep() && p.config().schedule().totalSteps() == 0) {
                p = p.forReplicas(workers);
                ctx = ctx.with(p);
                LOG.info("train: the {} schedule spans {} optimizer steps ({} workers in lockstep)", p.lr().name().cliName(),
                        p.stepsPerEpoch(workers) * run.epochs(), workers);
            }
            ComputationGraph net = network.apply(p);
            int savedWorkers = ctx.state().workers;
            if (kindlingMaster && p.resume() && savedWorkers != workers) {
                net = Elastic.resume(net, p, ctx.state(), savedWorkers, workers);
            }
            ctx.state().workers = kindlingMaster ? workers : 1;
            Preflight.require(Preflight.sparkChecks(sc, dist, net.numParams(), p.executorShardBytes(), workers));
            Map<String, Long> aeronBefore = shared ? AeronTraffic.snapshot(sc) : null;
            long stepsBefore = ctx.state().steps; // a resumed run counts only the traffic of its own steps
            Engine engine = kindlingMaster ? allReduce(ctx, sc, net, checked, workers) : dl4j(ctx, sc, net, checked, workers);
            int replicas = kindlingMaster ? workers : 1; // optimizer steps per epoch count rounds with Kindling's master
            Ema ema = ctx.ema(net);
            List<String> steps = ctx.log().steps();
            EpochLoop.Epochs epochs = EpochTelemetry.draining(engine.epochs(), () -> Telemetry.drain(sc), ctx.telemetry(), steps);
            epochs = DescribedEpochs.describing(epochs, sc, run.epochs(), kindlingMaster
                    ? "Kindling's all-reduce master, " + workers + " replicas, " + p.encoding().cliName()
                    : "DL4J's legacy " + (p.dist() == Dist.AVERAGING ? "parameter averaging" : "threshold shared") + " master");
            epochs = ema == null ? epochs : withEma(epochs, ema, engine.current(), p.stepsPerEpoch(replicas));
            // threshold-shared: BatchNorm statistics travel encoded and lag; the driver's copy is re-estimated
            if (shared && !kindlingMaster && BatchNormStatistics.present(engine.current().get())) {
                epochs = BatchNormStatistics.recalibratingBeforeValidation(epochs, engine.current(), train, ctx.loader(), 8);
            }
            EpochLoop.Outcome outcome;
            TrainingPlan planned = p;
            try {
                outcome = EpochLoop.run(engine.current().get(), epochs, run.epochs(), run.patience(), e -> planned.lrAt(e, replicas), ctx.state(), 0,
                        ctx.log(), p.budgetSeconds());
            } catch (Watchdog.TimeoutError | SparkTrainer.NoProgress | SparkException e) {
                throw new TrainJob.Interrupted(e.getMessage() + ctx.resumeHint(), e, p.out(), ctx.checkpoints().newestName().isPresent());
            }
            Map<String, Object> comm = null;
            if (aeronBefore != null) {
                comm = comm(AeronTraffic.sentBetween(aeronBefore, AeronTraffic.snapshot(sc)), net.numParams(), outcome.steps() - stepsBefore);
                comm.put("encoding", p.encoding().cliName());
                if (p.encoding() == Encoding.DENSE) {
                    comm.put("wire", p.config().dist().wire().cliName());
                }
                if (engine.epochs() instanceof AllReduceTrainer allReduce) {
                    comm.put("transport", allReduce.transport());
                    comm.put("allreduce_s", allReduce.reduceSeconds()); // waited for: what backprop did not hide
                    comm.put("allreduce_calls_s", allReduce.commSeconds());
                    comm.put("buckets", allReduce.buckets());
                    comm.put("buckets_during_backprop", allReduce.duringBackprop());
                    // what the engine offered, headers included; Aeron's counter (bytes_sent) adds its own resends and heartbeats
                    comm.put("allreduce_bytes", allReduce.bytesSent());
                    comm.put("foreign_frames", allReduce.foreignFrames());
                    comm.put("ranks", allReduce.lastEpochRanks().stream().map(RankTime::toJson).toList());
                }
            }
            steps.addAll(ctx.telemetry().ownRecords(Telemetry.drain(sc))); // any an epoch's drain did not reach
            ComputationGraph trained = engine.current().get();
            sc.setJobDescription("test: evaluate on " + checked.usable().get("test").size() + " shards");
            TaskMetrics test = DistributedEvaluation.evaluate(sc, trained, checked.usable().get("test"), p.manifest());
            if (engine.dl4j() != null) {
                engine.dl4j().getTrainingMaster().deleteTempFiles(sc);
            }
            return new TrainingContext.Trained(trained, outcome, test, checked, steps, workers, ema, comm);
        }
    }

    /** Kindling's master: barrier tasks, replicas in lockstep, the driver's network updated in place. */
    private static Engine allReduce(TrainingContext ctx, JavaSparkContext sc, ComputationGraph net, ShardCheck.Report checked, int workers) {
        TrainingPlan p = ctx.plan();
        RunConfig run = p.config().run();
        DistConfig dist = p.config().dist();
        AllReduceTrainer trainer = new AllReduceTrainer(sc, net, checked.usable().get("train"), checked.usable().get("val"), p.manifest(),
                ctx.storage(), p.listeners(ctx.telemetry()), run.seed(), ctx.augmentation(), workers, dist.peerTimeout(), dist.timeout(),
                run.progressSeconds(), DriverProgress.start(sc, run.epochs(), ProgressLine.console(run.progressSeconds())),
                p.encoding() == Encoding.TOPK ? dist.topkDensity() : 0, dist.wire(), dist.transport(),
                dist.overlap() ? dist.bucketFloats() : 0)
                .checkpointing(p.staging(), run.keepCheckpoints(), run.checkpointEvery(), ctx.state())
                .cachingShards(run.dataCacheBytes())
                .sharingHostDriver(dist.hostIpc());
        ctx.log().ranks(trainer::lastEpochRanks);
        return new Engine(trainer, () -> net, null);
    }

    /** DL4J's masters (legacy): SharedTrainingMaster's threshold encoding or parameter averaging. */
    private static Engine dl4j(TrainingContext ctx, JavaSparkContext sc, ComputationGraph net, ShardCheck.Report checked, int workers) {
        TrainingPlan p = ctx.plan();
        RunConfig run = p.config().run();
        DistConfig dist = p.config().dist();
        SparkComputationGraph sparkNet = new SparkComputationGraph(sc, net,
                Masters.build(dist, run.seed(), p.manifest().batchSize(), workers, workersPerNode(sc)));
        sparkNet.setListeners(p.listeners(ctx.telemetry()));
        int chunk = p.dist() == Dist.AVERAGING ? workers * dist.averagingFrequency() : 0;
        SparkTrainer trainer = new SparkTrainer(sc, sparkNet, checked.usable().get("train"), checked.usable().get("val"),
                p.manifest().split("train").examples(), p.manifest(), run.seed(), dist.timeout(), run.progressSeconds(), chunk, ctx.augmentation());
        return new Engine(trainer, sparkNet::getNetwork, sparkNet);
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
        return sc.master().startsWith("local") ? Math.max(1, sc.defaultParallelism()) : 1;
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

    private DistributedTraining() {}
}
