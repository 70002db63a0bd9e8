package dev.kindling.spark.legacy;

import dev.kindling.core.data.Manifest;
import dev.kindling.core.metrics.TaskMetrics;
import dev.kindling.core.train.EpochLoop;
import dev.kindling.core.vision.ImageAugmentation;
import dev.kindling.spark.runtime.DistributedEvaluation;
import dev.kindling.spark.runtime.FaultInjection;
import dev.kindling.spark.runtime.Watchdog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code --dist shared|averaging}: each epoch streams the training shard paths, shuffled from
 * {@code seed + epoch}, through DL4J's {@code fitPaths} (executors read the shards themselves, so
 * nothing is cached in Spark memory), under a {@link Watchdog}; validation runs on the executors.
 */
public final class SparkTrainer implements EpochLoop.Epochs {
    private final JavaSparkContext sc;
    private final SparkComputationGraph sparkNet;
    private final List<String> trainShards;
    private final List<String> valShards;
    private final long samplesPerEpoch;
    private final Manifest manifest;
    private final long seed;
    private final Duration timeout;
    private final int heartbeatSeconds;
    private final int chunk;
    private final ImageAugmentation augmentation;

    public SparkTrainer(JavaSparkContext sc, SparkComputationGraph sparkNet, List<String> trainShards, List<String> valShards,
                        long samplesPerEpoch, Manifest manifest, long seed, Duration timeout, int heartbeatSeconds) {
        this(sc, sparkNet, trainShards, valShards, samplesPerEpoch, manifest, seed, timeout, heartbeatSeconds, 0);
    }

    /**
     * @param chunk shards per {@code fitPaths} call, 0 for the whole epoch in one call. DL4J's averaging
     *              master lets each worker take at most {@code averagingFrequency} shards of a randomly
     *              balanced split and silently drops the rest (20 of 25 minibatches were trained in a
     *              measured case); feeding it {@code workers x averagingFrequency} shards per call trains
     *              every shard once.
     */
    public SparkTrainer(JavaSparkContext sc, SparkComputationGraph sparkNet, List<String> trainShards, List<String> valShards,
                        long samplesPerEpoch, Manifest manifest, long seed, Duration timeout, int heartbeatSeconds, int chunk) {
        this(sc, sparkNet, trainShards, valShards, samplesPerEpoch, manifest, seed, timeout, heartbeatSeconds, chunk, null);
    }

    /**
     * @param augmentation applied on the executors to each training shard as it is read
     *                     ({@link AugmentingLoader}), seeded by (seed, epoch, the shard's step); null for none
     */
    public SparkTrainer(JavaSparkContext sc, SparkComputationGraph sparkNet, List<String> trainShards, List<String> valShards,
                        long samplesPerEpoch, Manifest manifest, long seed, Duration timeout, int heartbeatSeconds, int chunk,
                        ImageAugmentation augmentation) {
        this.augmentation = augmentation;
        this.sc = sc;
        this.sparkNet = sparkNet;
        this.trainShards = List.copyOf(trainShards);
        this.valShards = List.copyOf(valShards);
        this.samplesPerEpoch = samplesPerEpoch;
        this.manifest = manifest;
        this.seed = seed;
        this.timeout = timeout;
        this.heartbeatSeconds = heartbeatSeconds;
        this.chunk = chunk;
    }

    @Override
    public EpochLoop.EpochFit fit(int epoch, int startStep, EpochLoop.StepHook afterStep) throws Exception {
        if (startStep != 0) {
            throw new IllegalStateException("Spark masters checkpoint at epoch ends only; cannot start epoch " + (epoch + 1) + " at step " + startStep);
        }
        List<String> order = new ArrayList<>(trainShards);
        Collections.shuffle(order, new Random(seed + epoch));
        int size = chunk > 0 ? chunk : order.size();
        INDArray before = sparkNet.getNetwork().params().dup();
        AugmentingLoader augmenting = augmentation == null ? null : new AugmentingLoader(augmentation, seed, epoch, order);
        Watchdog.run(sc, "epoch " + (epoch + 1), timeout, heartbeatSeconds, () -> {
            FaultInjection.beforeEachEpoch(epoch);
            for (int from = 0; from < order.size(); from += size) {
                List<String> part = order.subList(from, Math.min(order.size(), from + size));
                // fitPaths advances the driver's epoch counter after each call; the schedule keys on the real epoch
                sparkNet.getNetwork().getConfiguration().setEpochCount(epoch);
                JavaRDD<String> paths = sc.parallelize(part, Math.min(part.size(), sc.defaultParallelism()));
                if (augmenting == null) {
                    sparkNet.fitPaths(paths);
                } else {
                    sparkNet.fitPaths(paths, augmenting);
                }
            }
            return null;
        });
        if (sparkNet.getNetwork().params().equals(before)) {
            throw new NoProgress("epoch " + (epoch + 1) + " ran " + order.size() + " minibatches but the driver's parameters did not"
                    + " change: no update reached it (measured after an executor was lost and replaced: the shared master's"
                    + " Aeron mesh no longer delivered the workers' updates)");
        }
        // SharedTrainingMaster always reports 0.0 here (DESIGN.md); the averaging master reports its mean score.
        double score = sparkNet.getScore();
        return new EpochLoop.EpochFit(score == 0.0 ? Double.NaN : score, order.size(), samplesPerEpoch);
    }

    /** An epoch that finished without changing the model: its training was silently lost. */
    public static final class NoProgress extends IllegalStateException {
        NoProgress(String message) {
            super(message);
        }
    }

    @Override
    public TaskMetrics validate() throws Exception {
        return DistributedEvaluation.evaluate(sc, sparkNet.getNetwork(), valShards, manifest);
    }
}
