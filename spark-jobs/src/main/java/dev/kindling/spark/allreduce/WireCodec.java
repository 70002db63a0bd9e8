package dev.kindling.spark.allreduce;

import dev.kindling.spark.config.Wire;
import java.util.EnumMap;
import java.util.Map;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A dense message's payload in a wire's precision, from and to fp32 vectors: fp32 as the vector's own bytes,
 * bf16 in Java ({@link Bf16}), fp16 through ND4J's casts. Encoding rounds to the wire's precision; one piece
 * ({@link Frame#PIECE_FLOATS}) at a time, through buffers kept for reuse (a send that waits on back-pressure
 * receives meanwhile, so sending and receiving have a buffer each). One per worker, not thread-safe.
 */
final class WireCodec {
    private final Map<Wire, INDArray> sendPieces = new EnumMap<>(Wire.class);
    private final Map<Wire, INDArray> receivePieces = new EnumMap<>(Wire.class);
    /** The bf16 piece being sent (received bf16 is decoded straight from Aeron's buffer). */
    private final UnsafeBuffer bf16Piece = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(Frame.PIECE_FLOATS * 2));
    /** The fp32 piece being sent: a window on the vector's own bytes. */
    private final UnsafeBuffer fp32Piece = new UnsafeBuffer(0, 0);

    /**
     * {@code n} (at most a piece) values of {@code vector} from {@code start}, in {@code wire}'s precision, as the
     * first {@code n * wire.bytes()} bytes of the returned buffer (valid until the next call).
     *
     * @param bytes {@code vector}'s bytes ({@link FloatBytes#wrap})
     */
    DirectBuffer encode(Wire wire, INDArray vector, UnsafeBuffer bytes, long start, int n) {
        switch (wire) {
            case FP32 -> {
                fp32Piece.wrap(bytes, (int) (start * 4), n * 4);
                return fp32Piece;
            }
            case BF16 -> {
                Bf16.encode(bytes, (int) start, n, bf16Piece, 0);
                return bf16Piece;
            }
            default -> {
                INDArray half = piece(sendPieces, wire, n);
                half.assign(vector.get(NDArrayIndex.interval(start, start + n)).castTo(wire.type));
                return bytesOf(half, wire);
            }
        }
    }

    /**
     * {@code n} values in {@code wire}'s precision at {@code offset} of {@code buf}, written as fp32 to elements
     * {@code [at, at + n)} of {@code target}, a fresh contiguous array whose bytes are {@code targetBytes}.
     */
    void decode(Wire wire, DirectBuffer buf, int offset, int n, INDArray target, UnsafeBuffer targetBytes, long at) {
        switch (wire) {
            case FP32 -> targetBytes.putBytes((int) (at * 4), buf, offset, n * 4);
            case BF16 -> Bf16.decode(buf, offset, n, targetBytes, (int) at);
            default -> {
                INDArray half = piece(receivePieces, wire, n);
                bytesOf(half, wire).putBytes(0, buf, offset, n * wire.bytes());
                target.reshape(target.length()).get(NDArrayIndex.interval(at, at + n)).assign(half.castTo(DataType.FLOAT));
            }
        }
    }

    /** The first {@code n} values of a piece of {@code pieces} in {@code wire}'s type. */
    private static INDArray piece(Map<Wire, INDArray> pieces, Wire wire, int n) {
        INDArray piece = pieces.computeIfAbsent(wire, w -> Nd4j.create(w.type, Frame.PIECE_FLOATS));
        return n == Frame.PIECE_FLOATS ? piece : piece.get(NDArrayIndex.interval(0, n));
    }

    private static UnsafeBuffer bytesOf(INDArray half, Wire wire) {
        return new UnsafeBuffer(half.data().addressPointer().address(), (int) (half.length() * wire.bytes()));
    }
}
