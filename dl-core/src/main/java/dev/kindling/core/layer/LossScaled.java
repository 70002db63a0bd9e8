package dev.kindling.core.layer;

/**
 * A runtime layer whose backward pass runs on gradients multiplied by fp16's loss scale, so that
 * small gradients survive rounding to fp16 inside it; what leaves the layer (its parameter and input
 * gradients) is divided by the scale again, so clipping, the updater and the other layers never see
 * it. {@code precision.LossScaling} moves the scale between steps.
 *
 * <p>The scale applies per example, as PyTorch's {@code GradScaler} scales the mean loss: a layer's
 * backward multiplies by {@code lossScale() / B} the gradients of DL4J's loss, a sum over the
 * minibatch's B examples, so the values rounded to fp16 are PyTorch's.
 */
public interface LossScaled {
    /** Whether this layer was configured for fp16 loss scaling (else {@link #lossScale(double)} refuses). */
    boolean scalesLoss();

    /** The loss scale the next backward pass uses. */
    double lossScale();

    void lossScale(double scale);
}
