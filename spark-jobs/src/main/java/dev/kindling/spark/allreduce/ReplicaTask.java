package dev.kindling.spark.allreduce;

import dev.kindling.core.optim.InPlaceUpdater;
import dev.kindling.spark.config.Transport;
import dev.kindling.spark.config.Wire;

import dev.kindling.core.data.Shards;
import dev.kindling.core.train.Divergence;
import dev.kindling.core.train.LocalTrainer;
import dev.kindling.core.train.EpochProgress;
import dev.kindling.core.vision.ImageAugmentation;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.runtime.FaultInjection;
import dev.kindling.spark.runtime.LatestValue;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.graph.ComputationGraph;
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


/** One replica's epoch, run as a Spark barrier task. */
final class ReplicaTask extends AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<ReplicaTask.Result>>
        implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaTask.class);

    /**
     * @param progress where rank 0 sets its progress after every step, for the driver's line
     * @param density  top-k density of the sparse encoding; 0: the dense all-reduce
     * @param bucketFloats dense: the gradient's buckets, each all-reduced as soon as backprop finishes it; 0: the whole
     *                 gradient after backprop
     * @param runKey   names the run whose shards an executor keeps ({@link ExecutorShards})
     * @param dataCacheBytes the most decoded shard bytes each executor JVM keeps ({@code --data-cache-mb})
     * @param hostIpc  whether executors of one host reach each other over Aeron IPC through a driver they share
     *                 ({@code --host-ipc}, {@link HostDriver}); false: UDP between every pair of JVMs
     */
    record Settings(HadoopStorage storage, ArrayList<TrainingListener> listeners, long seed, ImageAugmentation augmentation,
                    Duration stall, LatestValue<EpochProgress> progress, double density, Wire wire, Transport transport, long bucketFloats,
                    String runKey, long dataCacheBytes, boolean hostIpc)
            implements Serializable {

        /** These settings with executors keeping up to {@code bytes} of decoded shards. */
        Settings cachingShards(long bytes) {
            return new Settings(storage, listeners, seed, augmentation, stall, progress, density, wire, transport, bucketFloats, runKey, bytes,
                    hostIpc);
        }

        /** These settings with executors of one host over IPC ({@code true}) or UDP. */
        Settings sharingHostDriver(boolean ipc) {
            return new Settings(storage, listeners, seed, augmentation, stall, progress, density, wire, transport, bucketFloats, runKey,
                    dataCacheBytes, ipc);
        }
    }

    /** What a replica reports: rank 0 also its parameters, optimizer state and iteration count. */
    static final class Result implements Serializable {
        private static final long serialVersionUID = 1L;
        int rank;
        double deviation;
        double scale;
        double samples;
        double lossSum;
        long bytesSent;
        /** Time the training thread waited for the all-reduce (exposed), and the all-reduce's own time (hidden or not). */
        double reduceSeconds;
        double commSeconds;
        int buckets;
        /** Of the buckets this worker launched, the fraction launched while backprop was still running. */
        double duringBackprop;
        long foreignFrames;
        String transport;
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
    private final int start;
    private final int workers;
    private final int epoch;
    private final Settings settings;
    private final MidEpochCheckpoints checkpoints;
    private final RunToken token;

    /**
     * @param order the epoch's order from shard {@code start} on (0, or where a resumed checkpoint stopped), padded to whole rounds
     */
    ReplicaTask(Broadcast<byte[]> model, List<String> order, int start, int workers, int epoch, Settings settings,
                MidEpochCheckpoints checkpoints, RunToken token) {
        this.token = token;
        this.model = model;
        this.order = new ArrayList<>(order);
        this.start = start;
        this.workers = workers;
        this.epoch = epoch;
        this.settings = settings;
        this.checkpoints = checkpoints;
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

    /**
     * The epoch's all-reduce ({@link #transport}). A retried stage attempt meets in a new group: the key carries the
     * attempt.
     */
    private AllReduce open(BarrierTaskContext ctx, int rank, long length, AeronHost host, Placement placement, String[] where,
                           BooleanSupplier cancelled) {
        Transport chosen = transport(settings.transport(), placement, settings.density() == 0, where);
        String key = token.high() + ":" + token.low() + ":" + ctx.stageAttemptNumber();
        if (rank == 0 && (chosen == Transport.HIERARCHICAL || chosen == Transport.HALVING && !placement.allAlone())) {
            LOG.info("all-reduce: hierarchical{} over {}", chosen == Transport.HALVING ? " (leaders halving)" : "", placement);
        }
        return switch (chosen) {
            case MEMORY -> InMemoryAllReduce.open(key, rank, workers, length, settings.stall(), cancelled);
            case HIERARCHICAL -> HierarchicalAllReduce.open(rank, placement, length, host, ctx::allGather, key, token, settings.stall(), cancelled,
                    false);
            case HALVING -> HalvingAllReduce.forPlacement(rank, placement, length, host, ctx::allGather, key, token, settings.stall(), cancelled);
            default -> AeronAllReduce.open(rank, workers, length, host, ctx::allGather, token, settings.stall(), cancelled);
        };
    }

    /** JVMs (executors) from which {@code --transport=auto} halves and doubles among them instead of all-to-all. */
    static final int HALVING_FROM_JVMS = 4;

    /**
     * What {@code asked} means for these workers: auto is memory when every worker is a thread of one JVM; for a dense
     * gradient among {@link #HALVING_FROM_JVMS} or more JVMs, halving (among one leader per JVM when JVMs run several
     * workers); for a dense gradient among fewer JVMs some running several workers, hierarchical; else Aeron among all.
     * Memory among several JVMs is refused, naming them ({@code where}: each worker's JVM).
     */
    static Transport transport(Transport asked, Placement placement, boolean dense, String[] where) {
        return switch (asked) {
            case AUTO -> placement.oneJvm() ? Transport.MEMORY
                    : dense && placement.groupCount() >= HALVING_FROM_JVMS ? Transport.HALVING
                    : dense && !placement.allAlone() ? Transport.HIERARCHICAL : Transport.AERON;
            case MEMORY -> {
                if (!placement.oneJvm()) {
                    throw new IllegalStateException("--transport=memory: the " + where.length + " workers run in more than one JVM "
                            + List.of(where) + "; use --transport=auto or aeron");
                }
                yield Transport.MEMORY;
            }
            default -> asked;
        };
    }

    /**
     * How this replica shares its steps: topk's sparse steps, the dense gradient in buckets as backprop finishes them
     * ({@code plan}, --overlap), or the whole dense gradient after backprop.
     */
    private Sharing sharing(AllReduce ar, ComputationGraph net, BucketPlan plan, OverlapThread overlap, int rank) {
        if (settings.density() > 0) {
            return new UpdateSum(ar, new TopK(net.numParams(), settings.density(), settings.seed() + 31L * epoch + rank));
        }
        if (plan == null) {
            if (settings.bucketFloats() > 0) {
                LOG.warn("--overlap: this graph's gradient is not laid out by topological order; reducing it after backprop");
            }
            return new GradientSum(ar, settings.wire());
        }
        if (rank == 0) {
            LOG.info("--overlap: the gradient's {} floats in {} buckets, from its end: {}", net.numParams(), plan.buckets(), plan.describe());
        }
        GradientSum buckets = new GradientSum(ar, settings.wire(), plan, overlap);
        if (!BackpropWatch.install(net, position -> buckets.backwardDone(net, position))) {
            LOG.warn("--overlap: every bucket is reduced after backprop");
        }
        return buckets;
    }

    private Result train(BarrierTaskContext ctx) throws IOException {
        int rank = ctx.partitionId();
        ComputationGraph net = InPlaceUpdater.install(ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(model.value()), true));
        String address = SparkEnv.get().blockManager().blockManagerId().host();
        AeronHost host = AeronHost.ofExecutor(address, SparkEnv.get().conf(), settings.hostIpc());
        int rounds = order.size() / workers;
        // where every rank runs, so that rank 0 can name a straggler while the epoch runs, and in which JVM
        String[] gathered = ctx.allGather(LocalGroup.JVM + " " + SparkEnv.get().executorId() + " " + address);
        String[] where = Arrays.stream(gathered).map(g -> g.substring(g.indexOf(' ') + 1)).toArray(String[]::new);
        Placement placement = Placement.of(Arrays.stream(gathered).map(g -> g.substring(0, g.indexOf(' '))).toArray(String[]::new));
        LiveStragglers stragglers = rank == 0 ? new LiveStragglers(where) : null;
        AtomicBoolean leaving = new AtomicBoolean(); // set when the overlap thread stops: its call in flight ends at once
        try (AllReduce ar = open(ctx, rank, net.numParams(), host, placement, where, () -> ctx.isInterrupted() || leaving.get());
             OverlapThread overlap = new OverlapThread(rank, leaving)) {
            BucketPlan plan = settings.density() == 0 && settings.bucketFloats() > 0 ? BucketPlan.of(net, settings.bucketFloats()) : null;
            Sharing sum = sharing(ar, net, plan, overlap, rank);
            List<TrainingListener> listeners = new ArrayList<>();
            // first: with dense, clipping, loss scaling and the optimizer see the summed gradient; with
            // topk, the listeners after it see the shared step's parameters
            listeners.add(sum);
            listeners.addAll(settings.listeners());
            // rounds and steps count from the epoch's start, so a resumed epoch draws the same seeds and checkpoints at the same rounds
            int firstRound = start / workers;
            if (rank == 0) {
                listeners.add(new ReplicaProgress(sum, settings.progress(), epoch, firstRound, firstRound + rounds));
            }
            net.setListeners(listeners);
            Function<String, DataSet> shards = ExecutorShards.of(settings.runKey(), path -> Shards.load(settings.storage(), path),
                    settings.dataCacheBytes());
            long loop0 = System.nanoTime();
            for (int round = 0; round < rounds; round++) {
                String shard = order.get(round * workers + rank);
                int i = start + round * workers + rank;
                DataSet ds = shards.apply(shard);
                if (settings.augmentation() != null) {
                    ds = settings.augmentation().apply(ds, settings.seed(), epoch, i);
                }
                Nd4j.getRandom().setSeed(LocalTrainer.stepSeed(settings.seed(), epoch, i));
                net.fit(ds);
                Divergence.check(net, net.score(), ds, epoch, i, shard);
                FaultInjection.afterEachRound(epoch, firstRound + round, rank);
                if (stragglers != null) {
                    for (String named : stragglers.afterRound(ar.busySeconds())) {
                        LOG.warn("epoch {} round {} of {}: straggler: {}; every other replica waits for it", epoch + 1,
                                firstRound + round + 1, firstRound + rounds, named);
                    }
                }
                if (rank == 0 && checkpoints.dueAfter(firstRound + round, firstRound + rounds)) {
                    checkpoints.save(net, epoch, start + (round + 1) * workers, workers);
                }
            }
            Result r = new Result();
            r.rank = rank;
            r.samples = sum.samples;
            r.lossSum = sum.lossSum;
            r.bytesSent = ar.bytesSent();
            r.reduceSeconds = sum.blockedNanos / 1e9;
            r.commSeconds = ar.reduceSeconds();
            r.buckets = plan == null ? 1 : plan.buckets();
            if (sum instanceof GradientSum g && g.launchedInAll > 0) {
                r.duringBackprop = (double) g.launchedDuringBackprop / g.launchedInAll;
            }
            r.foreignFrames = ar.foreignFrames();
            r.transport = ar.transport();
            double loopSeconds = (System.nanoTime() - loop0) / 1e9;
            r.executor = SparkEnv.get().executorId();
            r.host = address;
            r.steps = rounds;
            r.computeSeconds = Math.max(0, loopSeconds - r.reduceSeconds);
            INDArray mean = net.params().dup();
            if (settings.density() > 0) {
                // topk replicas apply the same sums to the same parameters: bit-identical, which a
                // fingerprint (sum and sum of squares) checks without sending the parameters
                double total = mean.castTo(DataType.DOUBLE).sumNumber().doubleValue();
                double squares = mean.castTo(DataType.DOUBLE).norm2Number().doubleValue();
                squares *= squares;
                AllReduce.Totals all = ar.reduceSparse(Nd4j.create(mean.dataType(), mean.length()), new int[0],
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
