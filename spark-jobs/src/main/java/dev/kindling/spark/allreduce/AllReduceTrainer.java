package dev.kindling.spark.allreduce;

import dev.kindling.spark.config.Transport;
import dev.kindling.spark.config.Wire;

import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Shards;
import dev.kindling.core.metrics.TaskMetrics;
import dev.kindling.core.train.Checkpoints;
import dev.kindling.core.train.EpochLoop;
import dev.kindling.core.train.EpochProgress;
import dev.kindling.core.train.Progress;
import dev.kindling.core.vision.ImageAugmentation;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.runtime.DistributedEvaluation;
import dev.kindling.spark.runtime.DriverProgress;
import dev.kindling.spark.runtime.FaultInjection;
import dev.kindling.spark.runtime.Watchdog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.reflect.ClassTag$;

/**
 * {@code --dist shared --encoding dense}: Kindling's own data-parallel master. Every epoch the driver
 * broadcasts the model (parameters, optimizer state, counters) and starts one Spark barrier task per
 * task slot; the tasks train in lockstep, and at every step each sums its minibatch gradient with all
 * others' through {@link AeronAllReduce} before the optimizer runs, so every replica applies the
 * same update to the same parameters: one step on the union of the workers' minibatches, as
 * PyTorch's DistributedDataParallel does (and unlike DL4J's shared master, which sends each
 * replica's optimizer output threshold-quantised). At the epoch's end the replicas' parameters are
 * averaged (one more all-reduce) and checked to agree ({@link #check}); the mean, the first replica's
 * optimizer state and counters become the driver's.
 *
 * <p>{@code --encoding topk} ({@code density > 0}) shares optimizer steps instead, sparse
 * ({@link UpdateSum}); its replicas are bit-identical, which the epoch end checks by a fingerprint.
 *
 * <p>Round {@code r} trains shard {@code order[r x workers + rank]} on worker {@code rank}; an epoch
 * whose shard count is not a multiple of the workers is padded from its start, as PyTorch's
 * DistributedSampler does. Shards are read by the executors. With {@link #checkpointing} rank 0
 * checkpoints mid-epoch; an epoch resumed from such a checkpoint ({@code startStep > 0} shards done)
 * trains the rest of the same order on however many workers it now has.
 */
public final class AllReduceTrainer implements EpochLoop.Epochs {
    private static final Logger LOG = LoggerFactory.getLogger(AllReduceTrainer.class);

    /** Largest replica deviation from the mean, relative to max(1, the largest parameter), that passes as rounding. */
    static final double REPLICA_TOLERANCE = 1e-4;

    private final JavaSparkContext sc;
    private final ComputationGraph net;
    private final List<String> trainShards;
    private final List<String> valShards;
    private final Manifest manifest;
    private final int workers;
    private ReplicaTask.Settings settings;
    private final Duration timeout;
    private final int heartbeatSeconds;
    private final DriverProgress progress;
    private long bytesSent;
    private double reduceSeconds;
    private double commSeconds;
    private int buckets = 1;
    private double duringBackprop;
    private long foreignFrames;
    private String transport;
    private List<RankTime> lastEpochRanks = List.of();
    private String runDir;
    private int keepCheckpoints = 1;
    private int checkpointEvery;
    private EpochLoop.LoopState loopState;

    /**
     * @param listeners run on every replica after the all-reduce (clipping, loss scaling, telemetry);
     *                  they must be serializable
     * @param stall     how long a worker waits for a silent peer before the step fails
     * @param progress  the driver's progress line, which rank 0 feeds after every step
     * @param density   topk: fraction of the parameters each replica sends; 0: the dense all-reduce
     * @param wire      dense: the precision gradients are sent in
     * @param transport how the workers' all-reduce moves bytes
     * @param bucketFloats dense: buckets of the gradient all-reduced as backprop finishes each; 0: the whole gradient after backprop
     */
    public AllReduceTrainer(JavaSparkContext sc, ComputationGraph net, List<String> trainShards, List<String> valShards,
                            Manifest manifest, HadoopStorage storage, List<TrainingListener> listeners, long seed,
                            ImageAugmentation augmentation, int workers, Duration stall, Duration timeout, int heartbeatSeconds,
                            DriverProgress progress, double density, Wire wire, Transport transport, long bucketFloats) {
        this.sc = sc;
        this.net = net;
        this.trainShards = List.copyOf(trainShards);
        this.valShards = List.copyOf(valShards);
        this.manifest = manifest;
        this.workers = workers;
        this.timeout = timeout;
        this.heartbeatSeconds = heartbeatSeconds;
        this.progress = progress;
        String heavier = density > 0 ? TopK.heavierThanDense(workers, net.numParams(), density) : null;
        if (heavier != null) {
            LOG.warn(heavier);
        }
        this.settings = new ReplicaTask.Settings(storage, new ArrayList<>(listeners), seed, augmentation, stall, progress.sink(), density, wire,
                transport, bucketFloats, UUID.randomUUID().toString(), 0, true);
    }

    /** Executors of one host reach each other over Aeron IPC ({@code true}, the default) or over UDP. */
    public AllReduceTrainer sharingHostDriver(boolean ipc) {
        this.settings = settings.sharingHostDriver(ipc);
        return this;
    }

    /** Each executor JVM keeps up to {@code bytes} of decoded training shards for this run ({@link ExecutorShards}); 0 by default. */
    public AllReduceTrainer cachingShards(long bytes) {
        this.settings = settings.cachingShards(bytes);
        return this;
    }

    /**
     * Writes a checkpoint every {@code every} rounds of an epoch into {@code runDir}'s checkpoints
     * ({@link MidEpochCheckpoints}), carrying {@code state}, the loop state the epoch loop keeps.
     */
    public AllReduceTrainer checkpointing(String runDir, int keep, int every, EpochLoop.LoopState state) {
        this.runDir = runDir;
        this.keepCheckpoints = keep;
        this.checkpointEvery = every;
        this.loopState = state;
        return this;
    }

    /**
     * The epoch's shard order from shard {@code start} on: shuffled from {@code seed + epoch}, the
     * shards before {@code start} (trained before a checkpoint) dropped, and padded from the epoch's
     * start to a multiple of the workers.
     */
    static List<String> order(List<String> shards, long seed, int epoch, int workers, int start) {
        if (start < 0 || start >= shards.size()) {
            throw new IllegalStateException("epoch " + (epoch + 1) + " cannot resume at shard " + start + " of " + shards.size()
                    + ": the checkpoint belongs to a dataset with more training shards; resume on the dataset it was trained on");
        }
        List<String> shuffled = new ArrayList<>(shards);
        Collections.shuffle(shuffled, new Random(seed + epoch));
        List<String> order = new ArrayList<>(shuffled.subList(start, shuffled.size()));
        int pad = (workers - order.size() % workers) % workers;
        for (int i = 0; i < pad; i++) {
            order.add(shuffled.get(i % shuffled.size()));
        }
        return order;
    }

    @Override
    public EpochLoop.EpochFit fit(int epoch, int startStep, EpochLoop.StepHook afterStep) throws Exception {
        List<String> order = order(trainShards, settings.seed(), epoch, workers, startStep);
        if (startStep > 0) {
            LOG.info("epoch {}: resuming at shard {} of {} on {} workers", epoch + 1, startStep, trainShards.size(), workers);
        }
        boolean midEpoch = checkpointEvery > 0 && runDir != null;
        MidEpochCheckpoints checkpoints = new MidEpochCheckpoints(settings.storage(), runDir, keepCheckpoints, midEpoch ? checkpointEvery : 0,
                midEpoch ? Checkpoints.pack(loopState) : new byte[0]);
        Broadcast<byte[]> model = sc.broadcast(serialize(net));
        // a fresh secret per epoch, shipped inside the task over Spark's RPC: frames without it are dropped
        ReplicaTask worker = new ReplicaTask(model, order, startStep, workers, epoch, settings, checkpoints, RunToken.random());
        List<ReplicaTask.Result> results;
        long started = System.nanoTime();
        try {
            results = Watchdog.run(sc, "epoch " + (epoch + 1), timeout, heartbeatSeconds, () -> {
                FaultInjection.beforeEachEpoch(epoch);
                RDD<Integer> ranks = sc.parallelize(IntStream.range(0, workers).boxed().toList(), workers).rdd();
                return ranks.barrier().mapPartitions(worker, false, ClassTag$.MODULE$.apply(ReplicaTask.Result.class)).toJavaRDD().collect();
            });
        } finally {
            model.destroy();
        }
        ReplicaTask.Result first = check(results, workers, epoch);
        net.params().assign(Nd4j.createFromArray(first.params).reshape(net.params().shape()));
        INDArray state = net.getUpdater().getStateViewArray();
        if (state != null) {
            state.assign(Nd4j.createFromArray(first.updaterState).reshape(state.shape()));
        }
        net.getConfiguration().setIterationCount(first.iterations);
        long firstRound = startStep / workers;
        long rounds = order.size() / workers;
        EpochProgress seen = progress.last();
        progress.epochEnded(new EpochProgress(epoch + 1, firstRound + rounds, firstRound + rounds, Math.round(first.samples),
                first.lossSum / first.samples, Progress.learningRate(net, first.iterations, epoch), seen == null ? Double.NaN : seen.lossScale(),
                (System.nanoTime() - started) / 1e9, rounds));
        long epochBytes = results.stream().mapToLong(r -> r.bytesSent).sum();
        double epochReduce = results.stream().mapToDouble(r -> r.reduceSeconds).max().orElse(0);
        bytesSent += epochBytes;
        reduceSeconds += epochReduce;
        commSeconds += results.stream().mapToDouble(r -> r.commSeconds).max().orElse(0);
        buckets = first.buckets;
        duringBackprop = first.duringBackprop;
        long foreign = results.stream().mapToLong(r -> r.foreignFrames).sum();
        if (foreign > 0) {
            LOG.warn("epoch {}: the workers dropped {} foreign frames (UDP datagrams without this epoch's token) on their all-reduce ports",
                    epoch + 1, foreign);
        }
        foreignFrames += foreign;
        transport = first.transport;
        lastEpochRanks = results.stream().map(ReplicaTask.Result::time).sorted(java.util.Comparator.comparingInt(RankTime::rank)).toList();
        for (RankTime r : lastEpochRanks) {
            LOG.info("epoch {}: rank {} (executor {} on {}): {} steps, {} s in its own steps, {} s waiting in the all-reduce", epoch + 1, r.rank(),
                    r.executor(), r.host(), r.steps(), String.format("%.1f", r.computeSeconds()), String.format("%.1f", r.waitSeconds()));
        }
        for (String straggler : RankTime.stragglers(lastEpochRanks)) {
            LOG.warn("epoch {}: straggler: {}; every other replica waited for it at every step", epoch + 1, straggler);
        }
        LOG.info("epoch {}: {} workers x {} steps, all-reduce sent {} MB, {} s of the slowest worker's time in the all-reduce",
                epoch + 1, workers, order.size() / workers, String.format("%.1f", epochBytes / 1e6), String.format("%.1f", epochReduce));
        return new EpochLoop.EpochFit(first.lossSum / first.samples, startStep + order.size(), Math.round(first.samples));
    }

    /**
     * Every worker reported once and no replica ended further from the replicas' mean than rounding
     * explains; returns rank 0's result (which carries the mean). Every replica applies the same summed
     * gradient, but ND4J's multi-threaded reductions (the clipping norm) can round differently in
     * each: measured 1.5e-8 in parameters of magnitude 1 with two BLAS threads, and 0 with one thread
     * per worker. A replica that missed or doubled a step is off by about the learning rate.
     */
    static ReplicaTask.Result check(List<ReplicaTask.Result> results, int workers, int epoch) {
        ReplicaTask.Result first = results.stream().filter(r -> r.rank == 0).findFirst().orElseThrow(
                () -> new IllegalStateException("epoch " + (epoch + 1) + ": worker 0 returned no model"));
        if (results.size() != workers) {
            throw new IllegalStateException("epoch " + (epoch + 1) + ": " + results.size() + " of " + workers + " workers reported");
        }
        ReplicaTask.Result worst = results.stream().max(java.util.Comparator.comparingDouble(r -> r.deviation)).orElseThrow();
        double tolerance = REPLICA_TOLERANCE * Math.max(1, first.scale);
        if (!(worst.deviation <= tolerance)) {
            throw new IllegalStateException("epoch " + (epoch + 1) + ": replica " + worst.rank + "'s parameters are " + worst.deviation
                    + " from the replicas' mean (more than rounding, " + tolerance + "): the workers did not apply the same updates");
        }
        LOG.info("epoch {}: replicas agree: max |parameter - replicas' mean| {}", epoch + 1, worst.deviation);
        return first;
    }

    /** Bytes the workers sent each other so far. */
    public long bytesSent() {
        return bytesSent;
    }

    /** Where each replica of the last epoch ran and how its time split between its steps and the all-reduce. */
    public List<RankTime> lastEpochRanks() {
        return lastEpochRanks;
    }

    /** Datagrams the workers dropped so far because they did not carry their epoch's token. */
    public long foreignFrames() {
        return foreignFrames;
    }

    /** How the last epoch's all-reduce moved bytes: "aeron" or "memory"; null before the first epoch. */
    public String transport() {
        return transport;
    }

    /** Seconds the slowest worker's training thread waited for the all-reduce so far: the communication not hidden. */
    public double reduceSeconds() {
        return reduceSeconds;
    }

    /** Seconds of the slowest worker's all-reduce calls so far, hidden behind backprop or not. */
    public double commSeconds() {
        return commSeconds;
    }

    /** How many buckets the last epoch cut the gradient into (1: reduced whole, after backprop). */
    public int buckets() {
        return buckets;
    }

    /** Of the buckets rank 0 launched in the last epoch, the fraction launched while backprop was still running. */
    public double duringBackprop() {
        return duringBackprop;
    }

    @Override
    public TaskMetrics validate() throws Exception {
        return DistributedEvaluation.evaluate(sc, net, valShards, manifest);
    }

    static byte[] serialize(ComputationGraph net) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, out, true);
        return out.toByteArray();
    }
}
