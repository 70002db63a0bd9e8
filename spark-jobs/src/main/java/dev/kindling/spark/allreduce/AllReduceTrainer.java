package dev.kindling.spark.allreduce;

import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Shards;
import dev.kindling.core.metrics.TaskMetrics;
import dev.kindling.core.optim.GlobalNormClipping;
import dev.kindling.core.train.Divergence;
import dev.kindling.core.train.EpochLoop;
import dev.kindling.core.train.LocalTrainer;
import dev.kindling.core.train.Progress;
import dev.kindling.core.vision.ImageAugmentation;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.runtime.DistributedEvaluation;
import dev.kindling.spark.runtime.FaultInjection;
import dev.kindling.spark.runtime.Watchdog;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

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
 * DistributedSampler does. Shards are read by the executors.
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
    private final Worker.Settings settings;
    private final Duration timeout;
    private final int heartbeatSeconds;
    private long bytesSent;
    private double reduceSeconds;
    private long foreignFrames;
    private List<RankTime> lastEpochRanks = List.of();

    /**
     * @param listeners run on every replica after the all-reduce (clipping, loss scaling, telemetry);
     *                  they must be serializable
     * @param stall     how long a worker waits for a silent peer before the step fails
     */
    public AllReduceTrainer(JavaSparkContext sc, ComputationGraph net, List<String> trainShards, List<String> valShards,
                            Manifest manifest, HadoopStorage storage, List<TrainingListener> listeners, long seed,
                            ImageAugmentation augmentation, int workers, Duration stall, Duration timeout, int heartbeatSeconds,
                            int progressSeconds, double density) {
        this.sc = sc;
        this.net = net;
        this.trainShards = List.copyOf(trainShards);
        this.valShards = List.copyOf(valShards);
        this.manifest = manifest;
        this.workers = workers;
        this.timeout = timeout;
        this.heartbeatSeconds = heartbeatSeconds;
        this.settings = new Worker.Settings(storage, new ArrayList<>(listeners), seed, augmentation, stall, progressSeconds, density);
    }

    /** The epoch's shard order: shuffled from {@code seed + epoch}, padded from its start to a multiple of the workers. */
    static List<String> order(List<String> shards, long seed, int epoch, int workers) {
        List<String> order = new ArrayList<>(shards);
        Collections.shuffle(order, new Random(seed + epoch));
        int pad = (workers - order.size() % workers) % workers;
        for (int i = 0; i < pad; i++) {
            order.add(order.get(i % shards.size()));
        }
        return order;
    }

    @Override
    public EpochLoop.EpochFit fit(int epoch, int startStep, EpochLoop.StepHook afterStep) throws Exception {
        if (startStep != 0) {
            throw new IllegalStateException("the dense master checkpoints at epoch ends only; cannot start epoch " + (epoch + 1)
                    + " at step " + startStep);
        }
        List<String> order = order(trainShards, settings.seed(), epoch, workers);
        Broadcast<byte[]> model = sc.broadcast(serialize(net));
        // a fresh secret per epoch, shipped inside the task over Spark's RPC: frames without it are dropped
        Worker worker = new Worker(model, order, workers, epoch, settings, RunToken.random());
        List<Worker.Result> results;
        try {
            results = Watchdog.run(sc, "epoch " + (epoch + 1), timeout, heartbeatSeconds, () -> {
                FaultInjection.beforeEachEpoch(epoch);
                RDD<Integer> ranks = sc.parallelize(IntStream.range(0, workers).boxed().toList(), workers).rdd();
                return ranks.barrier().mapPartitions(worker, false, ClassTag$.MODULE$.apply(Worker.Result.class)).toJavaRDD().collect();
            });
        } finally {
            model.destroy();
        }
        Worker.Result first = check(results, workers, epoch);
        net.params().assign(Nd4j.createFromArray(first.params).reshape(net.params().shape()));
        INDArray state = net.getUpdater().getStateViewArray();
        if (state != null) {
            state.assign(Nd4j.createFromArray(first.updaterState).reshape(state.shape()));
        }
        net.getConfiguration().setIterationCount(first.iterations);
        long epochBytes = results.stream().mapToLong(r -> r.bytesSent).sum();
        double epochReduce = results.stream().mapToDouble(r -> r.reduceSeconds).max().orElse(0);
        bytesSent += epochBytes;
        reduceSeconds += epochReduce;
        long foreign = results.stream().mapToLong(r -> r.foreignFrames).sum();
        if (foreign > 0) {
            LOG.warn("epoch {}: the workers dropped {} foreign frames (UDP datagrams without this epoch's token) on their all-reduce ports",
                    epoch + 1, foreign);
        }
        foreignFrames += foreign;
        lastEpochRanks = results.stream().map(Worker.Result::time).sorted(java.util.Comparator.comparingInt(RankTime::rank)).toList();
        for (RankTime r : lastEpochRanks) {
            LOG.info("epoch {}: rank {} (executor {} on {}): {} steps, {} s in its own steps, {} s waiting in the all-reduce", epoch + 1, r.rank(),
                    r.executor(), r.host(), r.steps(), String.format("%.1f", r.computeSeconds()), String.format("%.1f", r.waitSeconds()));
        }
        for (String straggler : RankTime.stragglers(lastEpochRanks)) {
            LOG.warn("epoch {}: straggler: {}; every other replica waited for it at every step", epoch + 1, straggler);
        }
        LOG.info("epoch {}: {} workers x {} steps, all-reduce sent {} MB, {} s of the slowest worker's time in the all-reduce",
                epoch + 1, workers, order.size() / workers, String.format("%.1f", epochBytes / 1e6), String.format("%.1f", epochReduce));
        return new EpochLoop.EpochFit(first.lossSum / first.samples, order.size(), Math.round(first.samples));
    }

    /**
     * Every worker reported once and no replica ended further from the replicas' mean than rounding
     * explains; returns rank 0's result (which carries the mean). Every replica applies the same summed
     * gradient, but ND4J's multi-threaded reductions (the clipping norm) can round differently in
     * each: measured 1.5e-8 in parameters of magnitude 1 with two BLAS threads, and 0 with one thread
     * per worker. A replica that missed or doubled a step is off by about the learning rate.
     */
    static Worker.Result check(List<Worker.Result> results, int workers, int epoch) {
        Worker.Result first = results.stream().filter(r -> r.rank == 0).findFirst().orElseThrow(
                () -> new IllegalStateException("epoch " + (epoch + 1) + ": worker 0 returned no model"));
        if (results.size() != workers) {
            throw new IllegalStateException("epoch " + (epoch + 1) + ": " + results.size() + " of " + workers + " workers reported");
        }
        Worker.Result worst = results.stream().max(java.util.Comparator.comparingDouble(r -> r.deviation)).orElseThrow();
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

    /** Seconds the slowest worker spent in the all-reduce so far. */
    public double reduceSeconds() {
        return reduceSeconds;
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

    /** One replica's epoch, run as a Spark barrier task. */
    static final class Worker extends AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<Worker.Result>>
            implements Serializable {
        private static final long serialVersionUID = 1L;

        /** @param density top-k density of the sparse encoding; 0: the dense all-reduce */
        record Settings(HadoopStorage storage, ArrayList<TrainingListener> listeners, long seed, ImageAugmentation augmentation,
                        Duration stall, int progressSeconds, double density) implements Serializable {}

        /** What a replica reports: rank 0 also its parameters, optimizer state and iteration count. */
        static final class Result implements Serializable {
            private static final long serialVersionUID = 1L;
            int rank;
            double deviation;
            double scale;
            double samples;
            double lossSum;
            long bytesSent;
            double reduceSeconds;
            long foreignFrames;
            // where it ran and its own steps' time (plain fields: Spark's Kryo cannot build records)
            String executor;
            String host;
            int steps;
            double computeSeconds;

            RankTime time() {
                return new RankTime(rank, executor, host, steps, computeSeconds, reduceSeconds);
            }
            float[] params;
            float[] updaterState;
            int iterations;
        }

        private final Broadcast<byte[]> model;
        private final List<String> order;
        private final int workers;
        private final int epoch;
        private final Settings settings;
        private final RunToken token;

        Worker(Broadcast<byte[]> model, List<String> order, int workers, int epoch, Settings settings, RunToken token) {
            this.token = token;
            this.model = model;
            this.order = new ArrayList<>(order);
            this.workers = workers;
            this.epoch = epoch;
            this.settings = settings;
        }

        @Override
        public scala.collection.Iterator<Result> apply(scala.collection.Iterator<Integer> ignored) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            try {
                return JavaConverters.asScalaIterator(List.of(train(ctx)).iterator());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        private Result train(BarrierTaskContext ctx) throws IOException {
            int rank = ctx.partitionId();
            ComputationGraph net = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(model.value()), true);
            String host = SparkEnv.get().blockManager().blockManagerId().host();
            int rounds = order.size() / workers;
            try (AeronAllReduce ar = AeronAllReduce.open(rank, workers, net.numParams(), host, ctx::allGather, token, settings.stall(),
                    ctx::isInterrupted)) {
                Sharing sum = settings.density() > 0
                        ? new UpdateSum(ar, new TopK(net.numParams(), settings.density(), settings.seed() + 31L * epoch + rank))
                        : new GradientSum(ar);
                List<TrainingListener> listeners = new ArrayList<>();
                // first: with dense, clipping, loss scaling and the optimizer see the summed gradient; with
                // topk, the listeners after it see the shared step's parameters
                listeners.add(sum);
                listeners.addAll(settings.listeners());
                if (rank == 0) {
                    listeners.add(new Progress(rounds, settings.progressSeconds()));
                }
                net.setListeners(listeners);
                long loop0 = System.nanoTime();
                for (int round = 0; round < rounds; round++) {
                    int i = round * workers + rank;
                    DataSet ds = Shards.load(settings.storage(), order.get(i));
                    if (settings.augmentation() != null) {
                        ds = settings.augmentation().apply(ds, settings.seed(), epoch, i);
                    }
                    Nd4j.getRandom().setSeed(LocalTrainer.stepSeed(settings.seed(), epoch, i));
                    net.fit(ds);
                    Divergence.check(net, net.score(), ds, epoch, i, order.get(i));
                }
                Result r = new Result();
                r.rank = rank;
                r.samples = sum.samples;
                r.lossSum = sum.lossSum;
                r.bytesSent = ar.bytesSent();
                r.reduceSeconds = ar.reduceSeconds();
                r.foreignFrames = ar.foreignFrames();
                double loopSeconds = (System.nanoTime() - loop0) / 1e9;
                r.executor = SparkEnv.get().executorId();
                r.host = host;
                r.steps = rounds;
                r.computeSeconds = Math.max(0, loopSeconds - ar.reduceSeconds());
                INDArray mean = net.params().dup();
                if (settings.density() > 0) {
                    // topk replicas apply the same sums to the same parameters: bit-identical, which a
                    // fingerprint (sum and sum of squares) checks without sending the parameters
                    double total = mean.castTo(DataType.DOUBLE).sumNumber().doubleValue();
                    double squares = mean.castTo(DataType.DOUBLE).norm2Number().doubleValue();
                    squares *= squares;
                    AeronAllReduce.Totals all = ar.reduceSparse(Nd4j.create(mean.dataType(), mean.length()), new int[0],
                            new float[0], 0, total, squares);
                    r.deviation = Math.max(Math.abs(all.samples() - workers * total), Math.abs(all.lossSum() - workers * squares));
                } else {
                    // the replicas' mean, and how far this replica is from it (rounding only: see check)
                    ar.reduce(mean, 0, 0);
                    mean.divi(workers);
                    r.deviation = net.params().sub(mean).amaxNumber().doubleValue();
                }
                r.scale = mean.amaxNumber().doubleValue();
                if (rank == 0) {
                    r.params = mean.data().asFloat();
                    INDArray state = net.getUpdater().getStateViewArray();
                    r.updaterState = state == null ? new float[0] : state.data().asFloat();
                    r.iterations = net.getConfiguration().getIterationCount();
                }
                return r;
            }
        }
    }

    /** How a replica shares its step with the others; counts every worker's examples and loss. */
    abstract static class Sharing extends BaseTrainingListener {
        double samples;
        double lossSum;
    }

    /**
     * The topk encoding: each replica takes its own optimizer step on its own minibatch (its optimizer
     * state stays its own, as with DL4J's shared master), then the replicas exchange the steps, sparse:
     * each sends the largest entries of its parameter change plus what it has not sent yet
     * ({@link TopK}), and every replica moves from the parameters it started the step with by the sum
     * of all replicas' sent entries. All replicas apply the same sum to the same parameters, so they
     * stay identical. Sending gradients instead (and one optimizer step on their sparse sum) trained
     * worse: Adam normalises each entry by its own history, so an entry sent rarely takes an outsized
     * step (measured: Fashion MLP, 1 epoch, density 0.004, test accuracy 0.811 against 0.848 dense).
     */
    static final class UpdateSum extends Sharing {
        private final AeronAllReduce ar;
        private final TopK topK;
        private INDArray before;
        private INDArray change;

        UpdateSum(AeronAllReduce ar, TopK topK) {
            this.ar = ar;
            this.topK = topK;
        }

        @Override
        public void onGradientCalculation(Model model) {
            if (before == null) {
                before = Nd4j.create(DataType.FLOAT, model.numParams());
                change = Nd4j.create(DataType.FLOAT, model.numParams());
            }
            before.assign(model.params().reshape(model.numParams()));
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            INDArray params = model.params().reshape(model.numParams());
            change.assign(params).subi(before);
            int local = Math.max(1, model.batchSize());
            int count = topK.select(change);
            AeronAllReduce.Totals totals = ar.reduceSparse(change, topK.index(), topK.value(), count, local, model.score() * local);
            params.assign(before).addi(change);
            samples += totals.samples();
            lossSum += totals.lossSum();
        }
    }

    /**
     * Replaces the minibatch gradient by the mean over every worker's examples, before the updater:
     * DL4J's gradient here is the minibatch sum, which the updater divides by the local batch size,
     * so the summed gradient is scaled by {@code local / total}; pseudo-gradients the updater does not
     * divide (BatchNorm's running statistics) become the example-weighted mean of the workers'.
     */
    static final class GradientSum extends Sharing {
        private final AeronAllReduce ar;

        GradientSum(AeronAllReduce ar) {
            this.ar = ar;
        }

        @Override
        public void onGradientCalculation(Model model) {
            int local = Math.max(1, model.batchSize());
            INDArray gradient = model.getGradientsViewArray();
            AeronAllReduce.Totals totals;
            if (model.conf() != null && !model.conf().isMiniBatch()) {
                totals = ar.reduce(gradient, local, model.score() * local); // the updater takes the sum as it is
            } else {
                List<INDArray> undivided = GlobalNormClipping.gradientViews(model, false);
                for (INDArray g : undivided) {
                    g.muli(local);
                }
                totals = ar.reduce(gradient, local, model.score() * local);
                gradient.muli(local / totals.samples());
                for (INDArray g : undivided) {
                    g.divi(local);
                }
            }
            samples += totals.samples();
            lossSum += totals.lossSum();
        }
    }
}
