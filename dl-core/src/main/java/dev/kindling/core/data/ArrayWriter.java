package dev.kindling.core.data;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Writes the bytes {@code Nd4j.write} writes (the array format {@link ShardDecoder} documents), with the
 * elements of a float or double array copied out in bulk: ND4J writes them one {@code writeFloat} at a time
 * (~70 ns each: 5 s for a ResNet50's parameters and Adam state, 69M floats). Other types, and buffers that
 * are not exactly the array's elements, go through {@code Nd4j.write} itself. Tested byte for byte
 * against it.
 */
public final class ArrayWriter {
    private static final int CHUNK = 1 << 16;

    public static void write(INDArray array, DataOutputStream out) throws IOException {
        INDArray a = array.isView() ? array.dup() : array;
        DataBuffer data = a.data();
        DataType type = data == null ? null : data.dataType();
        if ((type != DataType.FLOAT && type != DataType.DOUBLE) || data.asNio().capacity() != data.length() * type.width()) {
            Nd4j.write(a, out);
            return;
        }
        a.shapeInfoDataBuffer().write(out);
        out.writeUTF(data.allocationMode().name());
        out.writeLong(data.length());
        out.writeUTF(type.name());
        ByteBuffer source = data.asNio().order(ByteOrder.nativeOrder());
        byte[] chunk = new byte[CHUNK];
        ByteBuffer target = ByteBuffer.wrap(chunk).order(ByteOrder.BIG_ENDIAN);  // DataOutputStream's order
        while (source.hasRemaining()) {
            int n = Math.min(CHUNK, source.remaining());
            ByteBuffer piece = source.slice().order(ByteOrder.nativeOrder()).limit(n);
            target.clear();
            if (type == DataType.FLOAT) {
                target.asFloatBuffer().put(piece.asFloatBuffer());   // one byte-swapping bulk copy
            } else {
                target.asDoubleBuffer().put(piece.asDoubleBuffer());
            }
            out.write(chunk, 0, n);
            source.position(source.position() + n);
        }
    }

    private ArrayWriter() {
    }
}
