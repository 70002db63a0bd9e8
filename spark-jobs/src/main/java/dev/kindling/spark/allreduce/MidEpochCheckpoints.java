package dev.kindling.spark.allreduce;

import dev.kindling.core.train.Checkpoints;
import dev.kindling.core.train.EpochLoop;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.io.IOException;
import java.io.Serializable;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * {@code --checkpoint-every N} under Kindling's master: every N rounds of an epoch, rank 0 writes a
 * checkpoint from its executor in the format {@link Checkpoints} reads back (the replicas hold the
 * same parameters and optimizer state, BatchNorm statistics included, so one writes). Its position
 * is the shards of the epoch's order trained so far, whatever the worker count, so a run resumes
 * from it on any number of workers. The driver's loop state (history, best parameters, EMA) at the
 * epoch's start travels packed inside the task.
 *
 * @param every  rounds between checkpoints (0: none; the driver still checkpoints every epoch end)
 * @param packed {@link Checkpoints#pack} of the loop state at the epoch's start
 */
record MidEpochCheckpoints(HadoopStorage storage, String runDir, int keep, int every, byte[] packed) implements Serializable {

    /** Whether rank 0 checkpoints after round {@code round} (0-based, counted from the epoch's start); never after the last. */
    boolean dueAfter(int round, int rounds) {
        return every > 0 && (round + 1) % every == 0 && round + 1 < rounds;
    }

    /** Writes the checkpoint of epoch {@code epoch} with {@code shardsDone} shards of its order trained by {@code workers} workers. */
    void save(ComputationGraph net, int epoch, int shardsDone, int workers) throws IOException {
        EpochLoop.LoopState state = Checkpoints.unpack(packed);
        state.epoch = epoch;
        state.stepInEpoch = shardsDone;
        state.workers = workers;
        new Checkpoints(storage, runDir, keep).save(net, state);
    }
}
