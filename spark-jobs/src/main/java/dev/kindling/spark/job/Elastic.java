package dev.kindling.spark.job;

import dev.kindling.core.train.EpochLoop;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run of Kindling's master resumed on a different number of workers than its checkpoint was trained
 * on (an elastic restart: executors lost, or added). The checkpoint's position counts shards of the
 * epoch's order, so the data continues where it stopped on any worker count. What changes is the
 * number of optimizer steps: one per round of the workers, so {@code 2 -> 1} workers doubles the
 * steps left. A per-step learning-rate schedule whose length was derived from the worker count (no
 * {@code --total-steps}) is rebuilt for the new count, and the step counter moved to the same point of
 * the run, so the schedule still ends with the last step; any other schedule and the step counter
 * continue as they were.
 */
final class Elastic {
    private static final Logger LOG = LoggerFactory.getLogger(Elastic.class);

    /**
     * @param resumed the checkpoint's network
     * @param p       the plan, its schedule built for {@code workers}
     * @param state   the checkpoint's loop state
     * @return the network to train on: {@code resumed}, or a new network of {@code p}'s graph with its
     *         parameters, optimizer state and the step counter of the same point of the run
     */
    static ComputationGraph resume(ComputationGraph resumed, TrainingPlan p, EpochLoop.LoopState state, int savedWorkers, int workers) {
        LOG.info("train: elastic resume: the checkpoint was trained on {} workers, this run has {}; epoch {} continues at shard {}",
                savedWorkers, workers, state.epoch + 1, state.stepInEpoch);
        if (!p.lr().perStep() || p.config().schedule().totalSteps() > 0) {
            return resumed;
        }
        ComputationGraph net = new ComputationGraph(p.graph());
        net.init();
        net.params().assign(resumed.params());
        INDArray from = resumed.getUpdater().getStateViewArray();
        if (from != null) {
            net.getUpdater().getStateViewArray().assign(from);
        }
        int iteration = stepCounter(p.manifest().split("train").shards(), workers, state.epoch, state.stepInEpoch);
        net.getConfiguration().setIterationCount(iteration);
        net.getConfiguration().setEpochCount(resumed.getConfiguration().getEpochCount());
        LOG.info("train: elastic resume: the {} schedule now spans {} optimizer steps; the step counter moves from {} to {}",
                p.lr().name().cliName(), p.stepsPerEpoch(workers) * p.config().run().epochs(), resumed.getConfiguration().getIterationCount(),
                iteration);
        return net;
    }

    /**
     * DL4J's iteration counter (one per minibatch a replica fits: one per round) at shard {@code shardsDone}
     * of epoch {@code epoch} when every epoch ran on {@code workers} workers.
     */
    static int stepCounter(long trainShards, int workers, int epoch, int shardsDone) {
        long roundsPerEpoch = (trainShards + workers - 1) / workers;
        return Math.toIntExact(epoch * roundsPerEpoch + shardsDone / workers);
    }

    private Elastic() {}
}
