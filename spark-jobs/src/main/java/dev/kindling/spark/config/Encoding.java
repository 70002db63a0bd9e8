package dev.kindling.spark.config;

import dev.kindling.core.config.Choice;

/** {@code --encoding}: how {@code --dist=shared} workers share their work. */
public enum Encoding implements Choice {
    /** Kindling's dense all-reduce, for every architecture ({@link #resolve}). */
    AUTO,
    /**
     * DL4J's SharedTrainingMaster (legacy, by name only): each replica's update sent as sparse
     * +-threshold steps. Measured against the dense all-reduce: the seed-size GPT 0.1-0.15 nats worse
     * at equal steps (0.65 with SGD), BatchNorm statistics that lag (re-estimated on the driver), no
     * training loss, epochs that hang or change nothing after an executor loss, and one Aeron port per
     * JVM that a cluster it does not configure gets wrong. DL4J's maintainers deprecated its Spark module.
     */
    THRESHOLD,
    /** Kindling's all-reduce: fp32 gradients summed before one optimizer step on every worker. */
    DENSE,
    /** Kindling's sparse step sharing: the largest entries of each replica's step, with error feedback. */
    TOPK;

    /** {@link #AUTO} resolved: Kindling's dense all-reduce, exact data parallelism; other values are themselves. */
    public Encoding resolve() {
        return this == AUTO ? DENSE : this;
    }

    /** Whether Kindling's own all-reduce master trains with it (else DL4J's). */
    public boolean kindlingMaster() {
        return this == DENSE || this == TOPK;
    }
}
