package dev.kindling.core.precision;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * What {@code --precision} selects: the data type the heavy layers compute in. Master weights,
 * gradients handed to the updater and updater state stay fp32 in every mode (the network's data type
 * is always FLOAT); see {@link MixedPrecision}.
 */
public enum Precision implements dev.kindling.core.config.Choice {
    /** Everything in fp32. */
    FP32("fp32", DataType.FLOAT, false),
    /** IEEE half (5-bit exponent, max 65504): needs dynamic loss scaling against gradient underflow. */
    FP16("fp16", DataType.HALF, true),
    /** bfloat16 (fp32's 8-bit exponent, 8-bit mantissa): fp32's range, so no loss scaling. */
    BF16("bf16", DataType.BFLOAT16, false);

    private final String cliName;
    private final DataType compute;
    private final boolean lossScaling;

    Precision(String cliName, DataType compute, boolean lossScaling) {
        this.cliName = cliName;
        this.compute = compute;
        this.lossScaling = lossScaling;
    }

    public String cliName() {
        return cliName;
    }

    /** The data type the wrapped layers compute in. */
    public DataType compute() {
        return compute;
    }

    /** Whether this precision needs dynamic loss scaling (and skipping of overflowing steps). */
    public boolean lossScaling() {
        return lossScaling;
    }
}
