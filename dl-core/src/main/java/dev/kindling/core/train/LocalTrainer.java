package dev.kindling.core.train;

import dev.kindling.core.data.Manifest;
import dev.kindling.core.metrics.Evaluator;
import dev.kindling.core.metrics.TaskMetrics;
import dev.kindling.core.optim.InPlaceUpdater;
import dev.kindling.core.vision.ImageAugmentation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.IntToDoubleFunction;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code --dist local}: one JVM, no Spark; the reference every distributed run is compared with.
 * Each epoch visits every training shard once, in an order shuffled from {@code seed + epoch}.
 */
public final class LocalTrainer implements EpochLoop.Epochs {
    private final ComputationGraph net;
    private final List<String> trainShards;
    private final List<String> valShards;
    private final Function<String, DataSet> loader;
    private final Manifest manifest;
    private final long seed;
    private final Progress progress;
    private final ImageAugmentation augmentation;
    private Ema ema;
    private int accumulate = 1;

    /**
     * @param loader    reads a shard by its URI
     * @param listeners extra listeners, for example gradient clipping; progress is added here
     */
    public LocalTrainer(ComputationGraph net, List<String> trainShards, List<String> valShards,
                        Function<String, DataSet> loader, Manifest manifest, long seed, Progress progress,
                        List<TrainingListener> listeners) {
        this(net, trainShards, valShards, loader, manifest, seed, progress, listeners, null);
    }

    /** @param augmentation applied to each training minibatch, seeded by (seed, epoch, step); null for none */
    public LocalTrainer(ComputationGraph net, List<String> trainShards, List<String> valShards,
                        Function<String, DataSet> loader, Manifest manifest, long seed, Progress progress,
                        List<TrainingListener> listeners, ImageAugmentation augmentation) {
        this.augmentation = augmentation;
        this.net = InPlaceUpdater.install(net);
        this.trainShards = List.copyOf(trainShards);
        this.valShards = List.copyOf(valShards);
        this.loader = loader;
        this.manifest = manifest;
        this.seed = seed;
        this.progress = progress;
        List<TrainingListener> all = new ArrayList<>(listeners);
        all.add(progress);
        net.setListeners(all);
    }

    /**
     * Keeps {@code ema} after every optimizer step: every {@code accumulate}-th minibatch, when the
     * {@code Accumulate} updater has stepped. Returns this.
     */
    public LocalTrainer ema(Ema ema, int accumulate) {
        this.ema = ema;
        this.accumulate = accumulate;
        return this;
    }

    public EpochLoop.Outcome train(int epochs, int patience, IntToDoubleFunction lrAt) throws Exception {
        return EpochLoop.run(net, this, epochs, patience, lrAt);
    }

    /**
     * One epoch from step {@code startStep} of its shard order. Before every step ND4J's random
     * generator (dropout) is re-seeded from (seed, epoch, step), so a run resumed from a checkpoint at
     * any step continues exactly as the uninterrupted run would. Steps count the whole epoch; samples
     * only those trained in this call, so a resumed epoch's samples/s is not inflated (and the shards
     * before {@code startStep} are not read at all).
     */
    @Override
    public EpochLoop.EpochFit fit(int epoch, int startStep, EpochLoop.StepHook afterStep) throws Exception {
        List<String> order = new ArrayList<>(trainShards);
        Collections.shuffle(order, new Random(seed + epoch));
        progress.epochStarted(epoch, startStep, order.size());
        long samples = 0;
        for (int i = startStep; i < order.size(); i++) {
            DataSet ds = loader.apply(order.get(i));
            if (augmentation != null) {
                ds = augmentation.apply(ds, seed, epoch, i);
            }
            samples += ds.numExamples();
            Nd4j.getRandom().setSeed(stepSeed(seed, epoch, i));
            net.fit(ds);
            Divergence.check(net, net.score(), ds, epoch, i, order.get(i));
            if (ema != null && net.getIterationCount() % accumulate == 0) {
                ema.update(net.params());
            }
            afterStep.stepDone(i + 1);
        }
        return new EpochLoop.EpochFit(progress.takeMeanLoss(), order.size(), samples);
    }

    /** ND4J's random seed for a step: dropout masks follow (seed, epoch, step), not the run's history. */
    public static long stepSeed(long seed, int epoch, int step) {
        return seed * 1_000_003L + (long) epoch * 1_000_000L + step;
    }

    @Override
    public TaskMetrics validate() {
        return Evaluator.evaluate(net, manifest, valShards.stream().map(loader).iterator());
    }
}
