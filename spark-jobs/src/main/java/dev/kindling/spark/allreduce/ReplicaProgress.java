package dev.kindling.spark.allreduce;

import dev.kindling.core.train.EpochProgress;
import dev.kindling.core.train.Progress;
import dev.kindling.spark.runtime.LatestValue;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * Rank 0's view of the epoch after every step, set into the accumulator the driver's progress line
 * reads ({@link dev.kindling.spark.runtime.DriverProgress}). Samples and loss are every replica's:
 * the all-reduce carries each worker's example count and loss sum ({@link Sharing}).
 */
final class ReplicaProgress extends BaseTrainingListener {
    private final Sharing sum;
    private final LatestValue<EpochProgress> sink;
    private final int epoch;
    private final long firstRound;
    private final long rounds;
    private final long start = System.nanoTime();
    private long done;

    /** @param rounds the whole epoch's; {@code firstRound} of them were trained before a resume */
    ReplicaProgress(Sharing sum, LatestValue<EpochProgress> sink, int epoch, long firstRound, long rounds) {
        this.sum = sum;
        this.sink = sink;
        this.epoch = epoch;
        this.firstRound = firstRound;
        this.rounds = rounds;
    }

    @Override
    public void iterationDone(Model model, int iteration, int ignoredEpoch) {
        done++;
        sink.add(new EpochProgress(epoch + 1, firstRound + done, rounds, (long) sum.samples,
                sum.samples == 0 ? Double.NaN : sum.lossSum / sum.samples, Progress.learningRate(model, iteration, epoch),
                Progress.lossScale(model), (System.nanoTime() - start) / 1e9, done));
    }
}
