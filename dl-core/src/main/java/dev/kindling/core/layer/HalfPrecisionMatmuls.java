package dev.kindling.core.layer;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * A SameDiff layer whose matrix products can take half-precision operands ({@code --precision=bf16}):
 * DL4J's layer wrappers cannot reach inside a SameDiff graph, so the layer rounds its own operands
 * ({@link TransformerOps#matmul}). Everything else in it (embeddings, LayerNorm, softmax, the loss)
 * stays in the graph's fp32, as do its parameters and their gradients.
 */
public interface HalfPrecisionMatmuls {
    /** FLOAT (the default), or BFLOAT16: set before the network is built, saved with the configuration. */
    void setMatmuls(DataType type);

    DataType getMatmuls();
}
