package dev.kindling.spark.config;

import dev.kindling.core.config.Choice;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code --wire}: the precision the dense all-reduce sends gradients in. Sums are accumulated in fp32
 * whatever the wire; bf16 and fp16 halve the bytes. bf16 keeps fp32's range (8 exponent bits) with 8 bits
 * of mantissa; fp16 keeps 11 bits of mantissa but flushes magnitudes below 6e-8 to zero and overflows past
 * 65504. The parameter all-reduce that ends an epoch always sends fp32.
 */
public enum Wire implements Choice {
    FP32(DataType.FLOAT), BF16(DataType.BFLOAT16), FP16(DataType.HALF);

    /** ND4J's type for the values on the wire: it converts (round to nearest) in native code. */
    public final DataType type;

    Wire(DataType type) {
        this.type = type;
    }

    /**
     * {@code values} (fp32) rounded to this wire's precision in place by ND4J's casts, round to nearest, and returned;
     * fp32: as they are. The all-reduce rounds through {@code allreduce.Rounding}, which uses this for fp16 and its own
     * bf16 conversion (same bits on every number, but a NaN stays NaN where ND4J's cast makes some 0).
     */
    public INDArray round(INDArray values) {
        return this == FP32 ? values : values.assign(values.castTo(type).castTo(DataType.FLOAT));
    }

    /** Bytes per value on the wire. */
    public int bytes() {
        return type.width();
    }
}
