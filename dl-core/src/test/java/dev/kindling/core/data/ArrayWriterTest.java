package dev.kindling.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** {@link ArrayWriter} writes exactly what ND4J's own writer does, and ND4J reads it back. */
class ArrayWriterTest {

    private static byte[] bytes(INDArray a, boolean ours) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(b)) {
            if (ours) {
                ArrayWriter.write(a, out);
            } else {
                Nd4j.write(a, out);
            }
        }
        return b.toByteArray();
    }

    @Test
    void sameBytesAsNd4jsWriterForEveryLayout() throws IOException {
        INDArray big = Nd4j.rand(DataType.FLOAT, 3, 50_000).subi(0.5);   // several chunks, an odd tail
        INDArray[] arrays = {
            big,
            Nd4j.rand(DataType.DOUBLE, 7, 5, 3),
            Nd4j.rand(DataType.FLOAT, 4, 6).dup('f'),
            big.get(NDArrayIndex.interval(1, 3), NDArrayIndex.interval(10, 20)),     // a view
            Nd4j.scalar(2.5f),
            Nd4j.createFromArray(1, 2, 3),                                           // INT: ND4J's path
            Nd4j.createFromArray(new float[] {Float.NaN, Float.NEGATIVE_INFINITY, -0.0f, Float.MIN_VALUE}),
        };
        for (INDArray a : arrays) {
            byte[] expected = bytes(a, false);
            byte[] actual = bytes(a, true);
            assertArrayEquals(expected, actual, a.dataType() + " " + java.util.Arrays.toString(a.shape()));
            INDArray read = Nd4j.read(new DataInputStream(new ByteArrayInputStream(actual)));
            assertArrayEquals(expected, bytes(read, false), "ND4J reads it back (NaN is not equal to itself, its bits are)");
        }
    }
}
