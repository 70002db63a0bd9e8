package dev.kindling.core.layer;

/**
 * One runtime layer's fp16 loss scale: whether its configuration asked for one (a start other than 1), and
 * where {@code precision.LossScaling} has moved it since. The scale applies per example, as PyTorch's
 * {@code GradScaler} scales the mean loss: a layer's backward multiplies by {@code scale / B} the gradients of
 * DL4J's loss, a sum over the minibatch's B examples, so the values its fp16 roundings see are PyTorch's.
 */
public final class LayerLossScale {
    private final String layer;
    private final boolean scales;
    private volatile double scale;

    /** @param initial the configuration's start; 1: the layer does not scale its loss */
    public LayerLossScale(String layer, double initial) {
        this.layer = layer;
        this.scales = scales(initial);
        this.scale = initial;
    }

    /** Whether a layer whose configuration starts at {@code initial} scales its backward: any start but 1. */
    public static boolean scales(double initial) {
        return initial != 1.0;
    }

    /** Whether the layer scales its backward at all (its configuration asked for fp16 loss scaling). */
    public boolean scales() {
        return scales;
    }

    public double get() {
        return scale;
    }

    public void set(double scale) {
        if (!scales) {
            throw new IllegalStateException(layer + ": built without a loss scale (--precision=fp16 sets one)");
        }
        this.scale = scale;
    }

    /** What the layer's backward multiplies its incoming gradient by, and divides what leaves it by: scale / batch, or 1. */
    public double perExample(long batch) {
        return scales ? scale / batch : 1.0;
    }
}
