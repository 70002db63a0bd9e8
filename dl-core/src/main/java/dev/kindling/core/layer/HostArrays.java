package dev.kindling.core.layer;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Kindling's layers working on an array's memory themselves ({@link Gemm}'s products, {@link LstmCellSteps}' loops)
 * instead of through ND4J's operations: possible only where that memory is the host's.
 */
final class HostArrays {
    /**
     * ND4J runs on its CPU backend (nd4j-native: arrays in host memory, and JavaCPP's OpenBLAS beside them); a CUDA
     * build's arrays live on the GPU.
     */
    static final boolean CPU_BACKEND = Nd4j.getBackend().getClass().getName().startsWith("org.nd4j.linalg.cpu.");

    /**
     * Whether {@link #floats} takes the array: float, on the CPU backend, a whole row-major array (not a view: its
     * buffer starts at element 0) of at most {@code Integer.MAX_VALUE} elements, a {@code FloatBuffer}'s index range.
     */
    static boolean floatsTake(INDArray a) {
        return CPU_BACKEND && a.dataType() == DataType.FLOAT && !a.isView() && a.offset() == 0 && a.ordering() == 'c'
                && a.length() < Integer.MAX_VALUE;
    }

    /** The array's memory as a FloatBuffer of its length (element k of the c-order array at index k); {@link #floatsTake} first. */
    static FloatBuffer floats(INDArray a) {
        if (!floatsTake(a)) {
            throw new IllegalArgumentException("not a whole float array in host memory: " + a.shapeInfoToString());
        }
        return new FloatPointer(a.data().addressPointer()).capacity(a.length()).asBuffer();
    }

    private HostArrays() {
    }
}
