package dev.kindling.spark.allreduce;

import dev.kindling.spark.config.Wire;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The all-reduce's wire format: every message is an 80-byte little-endian header, then its payload
 * (floats for the dense phases, 4 or 2 bytes each as the message's {@code wire} says; {@code count} int
 * indices then {@code count} fp32 values for the sparse one; {@code count} (samples, lossSum, busy) fp64 triples
 * for {@link #RANK_TOTALS}). Declared once here, for the sender and the receiver.
 *
 * <pre>
 * offset  bytes  field
 *  0      8      call      the sender's call number (a peer may be one call ahead)
 *  8      4      phase     {@link #REDUCE_SCATTER}, {@link #ALL_GATHER}, {@link #SPARSE} or {@link #TOTALS};
 *                          {@link HalvingAllReduce}'s {@link #HALVING_SCATTER}, {@link #HALVING_GATHER}, {@link #RANK_TOTALS}
 * 12      4      from      the sender's rank
 * 16      8      index     first float of the piece in the vector (dense) or first pair of the piece (sparse);
 *                          rank totals: the first rank
 * 24      4      count     floats or pairs in this message
 * 28      4      total     sparse: pairs the sender sends this call in all; halving: the stage; dense: 0
 * 32      8      samples   the sender's examples this call (a dense call over a part of the vector: 0, see TOTALS)
 * 40      8      lossSum   the sender's loss summed over them
 * 48      8      busy      seconds the sender worked (its own step) between its previous call and this one
 * 56      16     token     this epoch's {@link RunToken}: a frame without it is foreign and dropped
 * 72      4      wire      dense: the payload's precision, a {@link Wire} ordinal; sparse: 0
 * 76      4      column    reduce-scatter: where the piece starts in the receiver's chunk (it may not know the
 *                          part of the vector a peer one call ahead reduces); halving scatter: where in the
 *                          receiver's incoming buffer; else 0
 * </pre>
 */
final class Frame {
    static final int STREAM_ID = 0x4b44;
    static final int HEADER_BYTES = 80;
    /** Floats per message (64 KiB of payload): Aeron fragments and reassembles them. */
    static final int PIECE_FLOATS = 16 * 1024;
    /** (index, value) pairs per sparse message (64 KiB). */
    static final int PIECE_PAIRS = 8 * 1024;

    static final int REDUCE_SCATTER = 0;
    static final int ALL_GATHER = 1;
    static final int SPARSE = 2;
    /**
     * A header alone carrying samples, lossSum and busy: the call that ends a step whose vector went in
     * parts ({@link AllReduce#reduceRange}), once the loss is known.
     */
    static final int TOTALS = 3;
    /** Recursive halving: half of the sender's partial sums, to the worker that keeps that half (stage 0: a folded worker's whole part). */
    static final int HALVING_SCATTER = 4;
    /** Recursive doubling: the sender's summed block (last stage: the whole part back to a folded worker). */
    static final int HALVING_GATHER = 5;
    /** Recursive doubling of every rank's (samples, lossSum, busy), {@code count} ranks from rank {@code index}. */
    static final int RANK_TOTALS = 6;
    /** Phase names for errors, by phase id. */
    static final String[] PHASES = {"reduce-scatter", "all-gather", "sparse all-gather", "totals", "halving reduce-scatter",
        "doubling all-gather", "rank totals"};
    /** Bytes per rank of a {@link #RANK_TOTALS} payload: samples, lossSum, busy. */
    static final int RANK_TOTALS_BYTES = 24;

    private static final int CALL = 0;
    private static final int PHASE = 8;
    private static final int FROM = 12;
    private static final int INDEX = 16;
    private static final int COUNT = 24;
    private static final int TOTAL = 28;
    private static final int SAMPLES = 32;
    private static final int LOSS_SUM = 40;
    private static final int BUSY = 48;
    private static final int TOKEN = 56;
    private static final int WIRE = 72;
    private static final int COLUMN = 76;
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    /** Writes the token once; {@link #write} leaves it in place. */
    static void sign(MutableDirectBuffer h, RunToken token) {
        h.putLong(TOKEN, token.high(), ORDER);
        h.putLong(TOKEN + 8, token.low(), ORDER);
    }

    /** Whether the message at {@code at} ({@code len} bytes) is at least a header and carries {@code token}. */
    static boolean signedWith(DirectBuffer b, int at, int len, RunToken token) {
        return len >= HEADER_BYTES && b.getLong(at + TOKEN, ORDER) == token.high() && b.getLong(at + TOKEN + 8, ORDER) == token.low();
    }

    static void write(MutableDirectBuffer h, long call, int phase, int from, long index, int count, int total, double samples,
                      double lossSum, double busySeconds, Wire wire) {
        write(h, call, phase, from, index, count, total, samples, lossSum, busySeconds, wire, 0);
    }

    static void write(MutableDirectBuffer h, long call, int phase, int from, long index, int count, int total, double samples,
                      double lossSum, double busySeconds, Wire wire, int column) {
        h.putLong(CALL, call, ORDER);
        h.putInt(PHASE, phase, ORDER);
        h.putInt(FROM, from, ORDER);
        h.putLong(INDEX, index, ORDER);
        h.putInt(COUNT, count, ORDER);
        h.putInt(TOTAL, total, ORDER);
        h.putDouble(SAMPLES, samples, ORDER);
        h.putDouble(LOSS_SUM, lossSum, ORDER);
        h.putDouble(BUSY, busySeconds, ORDER);
        h.putInt(WIRE, wire.ordinal(), ORDER);
        h.putInt(COLUMN, column, ORDER);
    }

    static long call(DirectBuffer b, int at) {
        return b.getLong(at + CALL, ORDER);
    }

    static int phase(DirectBuffer b, int at) {
        return b.getInt(at + PHASE, ORDER);
    }

    static int from(DirectBuffer b, int at) {
        return b.getInt(at + FROM, ORDER);
    }

    static long index(DirectBuffer b, int at) {
        return b.getLong(at + INDEX, ORDER);
    }

    static int count(DirectBuffer b, int at) {
        return b.getInt(at + COUNT, ORDER);
    }

    /** The dense payload's precision; null when the field holds no {@link Wire}. */
    static Wire wire(DirectBuffer b, int at) {
        int w = b.getInt(at + WIRE, ORDER);
        return w >= 0 && w < Wire.values().length ? Wire.values()[w] : null;
    }

    static int column(DirectBuffer b, int at) {
        return b.getInt(at + COLUMN, ORDER);
    }

    static int total(DirectBuffer b, int at) {
        return b.getInt(at + TOTAL, ORDER);
    }

    static double busy(DirectBuffer b, int at) {
        return b.getDouble(at + BUSY, ORDER);
    }

    static double samples(DirectBuffer b, int at) {
        return b.getDouble(at + SAMPLES, ORDER);
    }

    static double lossSum(DirectBuffer b, int at) {
        return b.getDouble(at + LOSS_SUM, ORDER);
    }

    /** Bytes a well-formed message of {@code phase} with {@code count} entries sent in {@code wire} has. */
    static int length(int phase, int count, Wire wire) {
        return HEADER_BYTES + switch (phase) {
            case TOTALS -> 0;
            case SPARSE -> count * 8;
            case RANK_TOTALS -> count * RANK_TOTALS_BYTES;
            default -> count * wire.bytes();
        };
    }

    private Frame() {}
}
