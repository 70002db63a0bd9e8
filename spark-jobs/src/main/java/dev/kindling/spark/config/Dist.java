package dev.kindling.spark.config;

import dev.kindling.core.config.Choice;

/** {@code --dist}: where training runs. */
public enum Dist implements Choice {
    /** Replicas on the Spark executors sharing gradients or steps every round ({@link Encoding}). */
    SHARED,
    /** DL4J's ParameterAveragingTrainingMaster (legacy): parameters averaged every few minibatches. */
    AVERAGING,
    /** One JVM, no Spark: the reference every distributed run is compared with. */
    LOCAL
}
