package dev.kindling.core.layer;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The loss an output layer's backprop computed, kept for the score DL4J asks for right after it
 * ({@link ScoreFromBackpropLayer}, {@link ForwardOnceOutputLayer}): DL4J would run the forward again for that number.
 * The input and labels are compared by identity only, never read (they may belong to a workspace that has closed).
 */
final class BackpropLoss {
    private record Pending(double loss, INDArray input, INDArray labels) {}

    /** Null: no backprop since the last score. */
    private Pending pending;

    /** Keeps the loss (summed over examples) of a backprop of {@code input} against {@code labels}. */
    void keep(double loss, INDArray input, INDArray labels) {
        pending = new Pending(loss, input, labels);
    }

    /** The kept loss if it belongs to this input and labels, else null (the caller runs the forward); taken once. */
    Double take(INDArray input, INDArray labels) {
        Pending p = pending;
        pending = null;
        return p == null || p.input() != input || p.labels() != labels ? null : p.loss();
    }
}
