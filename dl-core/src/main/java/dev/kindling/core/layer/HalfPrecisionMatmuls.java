package dev.kindling.core.layer;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * A layer that computes its own matrix products (a SameDiff graph, the batched LSTM's hand-written
 * passes), whose operands can be rounded to half precision ({@code --precision=bf16}): DL4J's layer
 * wrappers cannot reach inside, so the layer rounds them itself ({@link TransformerOps#matmul}).
 * Everything else in it (embeddings, LayerNorm, softmax, gates, the loss) stays fp32, as do its
 * parameters and their gradients.
 */
public interface HalfPrecisionMatmuls {
    /** FLOAT (the default), or BFLOAT16: set before the network is built, saved with the configuration. */
    void setMatmuls(DataType type);

    DataType getMatmuls();
}
