package dev.kindling.core.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.IntToDoubleFunction;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@code --dist local}: one JVM, no Spark; the reference every distributed run is compared with.
 * Each epoch visits every training shard once, in an order shuffled from {@code seed + epoch}.
 */
public final class LocalTrainer implements EpochLoop.Epochs {
    private final ComputationGraph net;
    private final List<String> trainShards;
    private final List<String> valShards;
    private final Function<String, DataSet> loader;
    private final int classes;
    private final long seed;
    private final Progress progress;

    /**
     * @param loader    reads a shard by its URI
     * @param listeners extra listeners, for example gradient clipping; progress is added here
     */
    public LocalTrainer(ComputationGraph net, List<String> trainShards, List<String> valShards,
                        Function<String, DataSet> loader, int classes, long seed, Progress progress,
                        List<TrainingListener> listeners) {
        this.net = net;
        this.trainShards = List.copyOf(trainShards);
        this.valShards = List.copyOf(valShards);
        this.loader = loader;
        this.classes = classes;
        this.seed = seed;
        this.progress = progress;
        List<TrainingListener> all = new ArrayList<>(listeners);
        all.add(progress);
        net.setListeners(all);
    }

    public EpochLoop.Outcome train(int epochs, int patience, IntToDoubleFunction lrAt) throws Exception {
        return EpochLoop.run(net, this, epochs, patience, lrAt);
    }

    @Override
    public EpochLoop.EpochFit fit(int epoch) {
        List<String> order = new ArrayList<>(trainShards);
        Collections.shuffle(order, new Random(seed + epoch));
        long samples = 0;
        for (String path : order) {
            DataSet ds = loader.apply(path);
            net.fit(ds);
            samples += ds.numExamples();
        }
        return new EpochLoop.EpochFit(progress.takeMeanLoss(), order.size(), samples);
    }

    @Override
    public ClassificationMetrics validate() {
        return Evaluator.evaluate(net, classes, valShards.stream().map(loader).iterator());
    }
}
