package dev.kindling.spark.allreduce;

import org.deeplearning4j.optimize.api.BaseTrainingListener;

/** How a replica shares its step with the others; counts every worker's examples and loss. */
abstract class Sharing extends BaseTrainingListener {
    double samples;
    double lossSum;
    /** Time the training thread spent in the all-reduce: the communication its steps did not hide. */
    long blockedNanos;
}
