package dev.kindling.spark.allreduce;

import org.agrona.concurrent.UnsafeBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** An fp32 ND4J array's bytes, addressed directly: how both transports write received values and sparse sums. */
final class FloatBytes {

    /** The bytes of {@code a}, which must be a fresh contiguous fp32 array (not a view). */
    static UnsafeBuffer wrap(INDArray a) {
        if (a.data().dataType() != DataType.FLOAT || a.offset() != 0 || a.data().length() != a.length()) {
            throw new IllegalArgumentException("needs a fresh contiguous fp32 array");
        }
        return new UnsafeBuffer(a.data().addressPointer().address(), (int) (a.length() * 4));
    }

    /** Adds {@code n} (index, value) pairs into {@code into}, in order: the sparse sum's arithmetic on every transport. */
    static void addPairs(UnsafeBuffer into, int[] index, float[] value, int n) {
        for (int j = 0; j < n; j++) {
            int at = index[j] * 4;
            into.putFloat(at, into.getFloat(at) + value[j]);
        }
    }

    private FloatBytes() {}
}
