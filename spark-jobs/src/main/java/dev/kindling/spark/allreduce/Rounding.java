package dev.kindling.spark.allreduce;

import dev.kindling.spark.config.Wire;
import org.agrona.concurrent.UnsafeBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Values {@code [from, to)} of a fresh fp32 vector rounded to a wire's precision in place: bf16 in Java
 * ({@link Bf16}), fp16 through ND4J's casts, fp32 as they are. Both transports round through here, so
 * they keep the same bits.
 */
final class Rounding {

    /** @param bytes {@code vector}'s bytes ({@link FloatBytes#wrap}) */
    static void toWire(Wire wire, INDArray vector, UnsafeBuffer bytes, long from, long to) {
        if (to <= from) {
            return;
        }
        switch (wire) {
            case FP32 -> { }
            case BF16 -> Bf16.round(bytes, (int) from, (int) (to - from));
            case FP16 -> wire.round(vector.get(NDArrayIndex.interval(from, to)));
        }
    }

    private Rounding() {}
}
