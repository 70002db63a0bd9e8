package dev.kindling.spark.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The Java bf16 conversions give ND4J's cast bit for bit on every number (the tests' expected sums use the cast), and keep NaN a NaN. */
class Bf16Test {

    @Test
    void roundsAsNd4jCastsEveryKindOfValue() {
        Random random = new Random(7);
        float[] x = new float[200_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = switch (i % 4) {
                case 0 -> (float) random.nextGaussian();
                case 1 -> Float.intBitsToFloat(random.nextInt()); // every exponent, subnormals, infinities and NaNs
                case 2 -> Float.intBitsToFloat((random.nextInt() & 0xFFFF_0000) | 0x8000); // exact ties: half-way between two bf16
                default -> (float) random.nextGaussian() * 1e-3f;
            };
        }
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NaN, 1.00390625f, 1.01171875f, 3.3895314e38f};
        System.arraycopy(special, 0, x, 0, special.length);
        float[] nd4j = Nd4j.createFromArray(x).castTo(DataType.BFLOAT16).castTo(DataType.FLOAT).toFloatVector();
        int nans = 0;
        for (int i = 0; i < x.length; i++) {
            float mine = Float.intBitsToFloat(Bf16.toFloatBits(Bf16.fromFloatBits(Float.floatToRawIntBits(x[i]))));
            if (Float.isNaN(x[i])) { // ND4J's cast turns some NaNs into 0, which would hide a diverged worker's gradient
                assertTrue(Float.isNaN(mine), "NaN (bits " + Integer.toHexString(Float.floatToRawIntBits(x[i])) + ") stays NaN");
                nans++;
            } else {
                assertEquals(Float.floatToRawIntBits(nd4j[i]), Float.floatToRawIntBits(mine),
                        "value " + x[i] + " (bits " + Integer.toHexString(Float.floatToRawIntBits(x[i])) + ")");
            }
        }
        assertTrue(nans > 0, "the draw covered NaNs");
    }

    @Test
    void encodeAndDecodeMoveARangeThroughTwoBytesAValue() {
        INDArray v = Nd4j.rand(DataType.FLOAT, 1000).subi(0.5);
        UnsafeBuffer bytes = FloatBytes.wrap(v);
        float[] before = v.toFloatVector();
        UnsafeBuffer wire = new UnsafeBuffer(ByteBuffer.allocateDirect(600));
        Bf16.encode(bytes, 100, 300, wire, 0);
        INDArray back = Nd4j.create(DataType.FLOAT, 1000);
        Bf16.decode(wire, 0, 300, FloatBytes.wrap(back), 400);
        Bf16.round(bytes, 100, 300);
        float[] rounded = v.toFloatVector();
        float[] got = back.toFloatVector();
        for (int i = 0; i < 1000; i++) {
            if (i >= 100 && i < 400) { // bf16 keeps 8 significant bits: within half a unit of the last, at most 2^-8 relative
                assertTrue(Math.abs(rounded[i] - before[i]) <= Math.abs(before[i]) / 256, "value " + i + ": " + before[i] + " -> " + rounded[i]);
            } else {
                assertEquals(before[i], rounded[i], 0f, "outside the range: untouched");
            }
        }
        for (int i = 0; i < 300; i++) {
            assertEquals(rounded[100 + i], got[400 + i], 0f, "decoded = rounded, value " + i);
        }
    }
}
