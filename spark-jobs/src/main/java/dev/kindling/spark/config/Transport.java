package dev.kindling.spark.config;

import dev.kindling.core.config.Choice;

/** {@code --transport}: how the shared master's all-reduce moves its bytes between workers. */
public enum Transport implements Choice {
    /**
     * Memory when every worker is a thread of one JVM ({@code local[N]}, or one executor); hierarchical (dense)
     * when some JVMs run several workers; else Aeron.
     */
    AUTO,
    /** Aeron UDP between every pair of workers, even threads of one JVM (loopback). */
    AERON,
    /** Memory shared by the workers: they must all be threads of one JVM. */
    MEMORY,
    /**
     * Dense only: memory among the workers of each JVM, Aeron among one leader per JVM
     * ({@code HierarchicalAllReduce}).
     */
    HIERARCHICAL,
    /**
     * Dense only: recursive halving and doubling over Aeron ({@code HalvingAllReduce}), each worker talking to log2 N
     * peers instead of N - 1; when JVMs run several workers, as {@link #HIERARCHICAL} with the leaders halving.
     */
    HALVING
}
