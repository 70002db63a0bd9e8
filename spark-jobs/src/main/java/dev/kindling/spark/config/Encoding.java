package dev.kindling.spark.config;

import dev.kindling.core.config.Choice;
import dev.kindling.core.model.Architecture;

/** {@code --encoding}: how {@code --dist=shared} workers share their work. */
public enum Encoding implements Choice {
    /** Dense for the transformers, threshold otherwise ({@link #resolve}). */
    AUTO,
    /** DL4J's SharedTrainingMaster: each replica's update sent as sparse +-threshold steps. */
    THRESHOLD,
    /** Kindling's all-reduce: fp32 gradients summed before one optimizer step on every worker. */
    DENSE,
    /** Kindling's sparse step sharing: the largest entries of each replica's step, with error feedback. */
    TOPK;

    /**
     * {@link #AUTO} resolved for {@code arch}: dense for gpt and encoder-classifier, whose training the
     * threshold encoding measurably harms; threshold otherwise. Other values are themselves.
     */
    public Encoding resolve(Architecture arch) {
        return this != AUTO ? this : arch.denseSharing() ? DENSE : THRESHOLD;
    }

    /** Whether Kindling's own all-reduce master trains with it (else DL4J's). */
    public boolean kindlingMaster() {
        return this == DENSE || this == TOPK;
    }
}
