package dev.kindling.spark.allreduce;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The bf16 wire's conversions, in Java over the vectors' own memory. ND4J's cast allocates a new array
 * per call: the scaling bench (scripts/bench/scaling.sh, one worker, so no network) measured a bf16 call
 * of 4,882,688 floats at 65.8 ms against 25.1 ms in fp32, the conversions costing more than the bytes
 * they save. These loops allocate nothing. bf16 is the upper half of an fp32: rounded to nearest, ties
 * to even, as ND4J's cast rounds every number (tested bit for bit against it); a NaN stays a (quiet) NaN,
 * where ND4J's cast turns some into 0 and would hide a diverged worker's gradient. Values are
 * in the platform's byte order, as every frame's are.
 */
final class Bf16 {

    /** The bf16 bits nearest to the fp32 {@code bits}. */
    static short fromFloatBits(int bits) {
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            return (short) ((bits >>> 16) | 0x0040); // NaN: keep the sign and top payload, set the quiet bit
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The fp32 bits of bf16 {@code h}: exact. */
    static int toFloatBits(short h) {
        return (h & 0xFFFF) << 16;
    }

    /** Rounds {@code n} fp32 values of {@code floats} from value {@code from} to bf16 precision, in place. */
    static void round(UnsafeBuffer floats, int from, int n) {
        for (int i = from; i < from + n; i++) {
            floats.putInt(i * 4, toFloatBits(fromFloatBits(floats.getInt(i * 4))));
        }
    }

    /** Writes {@code n} fp32 values of {@code floats} from value {@code from} as bf16 into {@code dst} at byte {@code at}. */
    static void encode(UnsafeBuffer floats, int from, int n, MutableDirectBuffer dst, int at) {
        for (int i = 0; i < n; i++) {
            dst.putShort(at + i * 2, fromFloatBits(floats.getInt((from + i) * 4)));
        }
    }

    /** Writes {@code n} bf16 values of {@code src} at byte {@code at} as fp32 into {@code floats} from value {@code to}. */
    static void decode(DirectBuffer src, int at, int n, UnsafeBuffer floats, int to) {
        for (int i = 0; i < n; i++) {
            floats.putInt((to + i) * 4, toFloatBits(src.getShort(at + i * 2)));
        }
    }

    private Bf16() {}
}
