package dev.kindling.core.layer;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * A layer that computes its own matrix products (a SameDiff graph, the batched LSTM's hand-written
 * passes), whose operands can be rounded to half precision ({@code --precision=bf16|fp16}): DL4J's layer
 * wrappers cannot reach inside, so the layer rounds them itself ({@link TransformerOps#matmul}).
 * Everything else in it (embeddings, LayerNorm, softmax, gates, the loss) stays fp32, as do its
 * parameters and their gradients. Under --precision=fp16 its backward also runs on loss-scaled gradients
 * ({@link LossScaled}): the runtime layer scales what enters its backward and unscales what leaves.
 */
public interface HalfPrecisionMatmuls {
    /** FLOAT (the default), BFLOAT16 or HALF: set before the network is built, saved with the configuration. */
    void setMatmuls(DataType type);

    DataType getMatmuls();

    /** fp16's loss scale a fresh model starts at; 1 (the default): no loss scaling. Saved with the configuration. */
    void setInitialLossScale(double scale);

    double getInitialLossScale();

    /** {@code scale}, when it can start a loss scale (finite and > 0); else an error naming {@code layer}. */
    static double checkedLossScale(String layer, double scale) {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException(layer + ": initial loss scale=" + scale + ": must be finite and > 0");
        }
        return scale;
    }
}
