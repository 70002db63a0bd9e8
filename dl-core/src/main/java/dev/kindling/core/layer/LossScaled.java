package dev.kindling.core.layer;

/**
 * A runtime layer whose backward pass runs on gradients multiplied by fp16's loss scale
 * ({@link LayerLossScale#perExample}), so that small gradients survive rounding to fp16 inside it; what
 * leaves the layer (its parameter and input gradients) is divided by the scale again, so clipping, the
 * updater and the other layers never see it. {@code precision.LossScaling} moves the scale between steps.
 */
public interface LossScaled {
    LayerLossScale lossScale();
}
