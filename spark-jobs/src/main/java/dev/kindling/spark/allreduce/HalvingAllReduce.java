package dev.kindling.spark.allreduce;

import dev.kindling.spark.config.Wire;
import io.aeron.logbuffer.Header;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The dense all-reduce by recursive halving and doubling (Rabenseifner's) over Aeron UDP: each worker talks
 * to log2 N peers, where {@link AeronAllReduce} talks to N - 1. Both send {@code 2 (N - 1) / N} of the vector
 * per worker and call; this one in {@code 2 log2 N} messages (of halving sizes) instead of {@code 2 (N - 1)},
 * with log2 N publications and images instead of N - 1. At 512 hosts: 9 peers, not 511.
 *
 * <p>With p the largest power of two not above N, the first {@code 2 (N - p)} ranks pair up: each even one
 * folds its vector into the next rank's and gets the result back at the end; the other p workers (virtual
 * ranks 0 .. p - 1) halve: in stage s (distance d = p / 2^s) a worker sends the half of its current block of
 * chunks it gives up to the worker d away and adds that worker's values of the half it keeps, until it holds
 * one chunk's sum; then they double the other way, each sending every block it has, until each has all.
 *
 * <p>Every worker ends with the same bits: each chunk's sum is a tree (pairs, then pairs of pairs, in the
 * order of the stages), each value rounded to the wire's precision before it is added and each chunk's sum
 * before it is gathered, computed by one worker. Not {@link AeronAllReduce}'s rank-order bits (a different
 * tree), except for two workers. Dense only; the totals (samples, loss, each rank's busy seconds) travel by
 * recursive doubling too ({@link Frame#RANK_TOTALS}) and are added in rank order.
 */
public final class HalvingAllReduce implements AllReduce {
    private final int rank;
    private final int size;
    private final long length;
    /** The largest power of two not above {@code size}: the workers that halve and double. */
    private final int p;
    /** {@code size - p}: ranks 0, 2, .., 2 (extra - 1) fold into the rank after them. */
    private final int extra;
    /** log2 p: the halving (and the doubling) stages. */
    private final int rounds;
    /** This worker among the p, or -1 when it folds into the next rank. */
    private final int v;
    private final AeronPeers links;
    private final UnsafeBuffer header;
    private final WireCodec codec = new WireCodec();
    private final INDArray work;
    private final UnsafeBuffer workBytes;
    /** Halved values from the peers, each stage in a region of its own: a peer may be stages ahead. */
    private final INDArray incoming;
    private final UnsafeBuffer incomingBytes;
    /** Floats received by call parity (a peer may be one call ahead) and stage: scattered (0: the fold), gathered (last: unfold). */
    private final long[][] scattered;
    private final long[][] gathered;
    /** Ranks whose totals arrived, by call parity and stage (0: the fold, last: unfold); each rank's (samples, lossSum, busy). */
    private final int[][] totalsGot;
    private final double[][] rankTotals;
    private final UnsafeBuffer totalsPiece;
    private final double[] busyTotal;
    private final boolean[] talksTo;
    /** The part of the vector the current dense call reduces. */
    private long partStart;
    private long partLength;
    private long calls;
    private long lastReturn = System.nanoTime();
    private long reduceNanos;

    private HalvingAllReduce(int rank, int size, long length, AeronHost host, Rendezvous rendezvous, RunToken token, Duration stall,
                             BooleanSupplier cancelled) {
        this.rank = rank;
        this.size = size;
        this.length = length;
        this.p = Integer.highestOneBit(size);
        this.extra = size - p;
        this.rounds = Integer.numberOfTrailingZeros(p);
        this.v = rank < 2 * extra ? (rank % 2 == 1 ? rank / 2 : -1) : rank - extra;
        this.talksTo = new boolean[size];
        if (v < 0) {
            talksTo[rank + 1] = true;
        } else {
            for (int s = 1; s <= rounds; s++) {
                talksTo[real(v ^ (p >> s))] = true;
            }
            if (foldedInto() >= 0) {
                talksTo[foldedInto()] = true;
            }
        }
        this.work = Nd4j.create(DataType.FLOAT, length);
        this.workBytes = FloatBytes.wrap(work);
        this.incoming = Nd4j.create(DataType.FLOAT, Math.max(1, v < 0 ? 0 : scatterBase(rank, rounds + 1, length)));
        this.incomingBytes = FloatBytes.wrap(incoming);
        this.scattered = new long[2][rounds + 1];
        this.gathered = new long[2][rounds + 1];
        this.totalsGot = new int[2][rounds + 2];
        this.rankTotals = new double[2][3 * size];
        this.totalsPiece = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(size * Frame.RANK_TOTALS_BYTES));
        this.busyTotal = new double[size];
        this.links = AeronPeers.open(rank, size, r -> talksTo[r], host, rendezvous, token, stall, cancelled, this::onMessage, () -> calls + 1);
        this.header = links.header();
    }

    /**
     * Joins the all-reduce: subscribes on an ephemeral UDP port of {@code host} (and its host driver's IPC), exchanges endpoints with every worker
     * through {@code rendezvous}, connects to its log2 N peers and waits (up to {@code stall}) until they have
     * connected back ({@link AeronPeers}).
     *
     * @param length floats per vector, the same on every worker
     */
    public static HalvingAllReduce open(int rank, int size, long length, AeronHost host, Rendezvous rendezvous, RunToken token, Duration stall,
                                        BooleanSupplier cancelled) {
        AeronPeers.checkShape(rank, size, length);
        if (size * (long) Frame.RANK_TOTALS_BYTES > Frame.PIECE_FLOATS * 4L) {
            throw new IllegalArgumentException("halving all-reduce among " + size + " workers: supports up to "
                    + Frame.PIECE_FLOATS * 4 / Frame.RANK_TOTALS_BYTES + " (the totals travel as one message)");
        }
        HalvingAllReduce ar = new HalvingAllReduce(rank, size, length, host, rendezvous, token, stall, cancelled);
        ar.links.awaitConnected();
        ar.lastReturn = System.nanoTime();
        return ar;
    }

    /**
     * Halving as the placement allows: among all workers when each is alone in its JVM, else among one leader per JVM
     * with memory within each ({@link HierarchicalAllReduce}; {@code key} names this epoch's in-memory groups).
     */
    public static AllReduce forPlacement(int rank, Placement placement, long length, AeronHost host, Rendezvous rendezvous, String key,
                                         RunToken token, Duration stall, BooleanSupplier cancelled) {
        return placement.allAlone()
                ? open(rank, placement.workers(), length, host, rendezvous, token, stall, cancelled)
                : HierarchicalAllReduce.open(rank, placement, length, host, rendezvous, key, token, stall, cancelled, true);
    }

    /** The rank of virtual rank {@code u} (one of the p). */
    private int real(int u) {
        return u < extra ? 2 * u + 1 : u + extra;
    }

    /** The first rank virtual rank {@code u} stands for (itself, or the rank folded into it); {@code size} for p. */
    private int firstRank(int u) {
        return u < extra ? 2 * u : u + extra;
    }

    /** The rank folded into this one, or -1. */
    private int foldedInto() {
        return v >= 0 && v < extra ? rank - 1 : -1;
    }

    /** Where chunk {@code u} of the current call's part starts (chunk p: where the part ends). */
    private long at(int u) {
        return partStart + AllReduce.chunkStart(u, partLength, p);
    }

    /**
     * Where halving stage {@code stage}'s values start in {@code receiver}'s incoming buffer for a part of
     * {@code partLength} floats: the fold's whole part first (if the receiver has a rank folded into it), then each
     * stage's most, {@code ceil(partLength / 2^s)} floats.
     */
    private long scatterBase(int receiver, int stage, long partLength) {
        boolean hosts = receiver < 2 * extra && receiver % 2 == 1;
        long base = stage > 0 && hosts ? partLength : 0;
        for (int s = 1; s < stage; s++) {
            base += (partLength + (1L << s) - 1) >> s;
        }
        return base;
    }

    @Override
    public Totals reduce(INDArray vector, double samples, double lossSum, Wire wire) {
        double busy = (System.nanoTime() - lastReturn) / 1e9;
        reduceRange(vector, 0, length, wire);
        return totals(samples, lossSum, busy);
    }

    @Override
    public void reduceRange(INDArray vector, long from, long to, Wire wire) {
        AllReduce.checkRange(vector, from, to, length);
        long t0 = System.nanoTime();
        partStart = from;
        partLength = to - from;
        INDArray flat = vector.reshape(length);
        AllReduce.part(work, from, to).assign(AllReduce.part(flat, from, to));
        Rounding.toWire(wire, work, workBytes, from, to); // this worker's contribution, as its peers receive theirs
        int parity = (int) (calls & 1);
        if (v < 0) {
            send(rank + 1, Frame.HALVING_SCATTER, 0, from, to, 0, wire);
            await(gathered[parity], rounds, rank + 1, partLength, Frame.HALVING_GATHER);
        } else {
            halve(parity, wire);
            doubling(parity, wire);
        }
        java.util.Arrays.fill(scattered[parity], 0);
        java.util.Arrays.fill(gathered[parity], 0);
        calls++;
        AllReduce.part(flat, from, to).assign(AllReduce.part(work, from, to));
        reduceNanos += System.nanoTime() - t0;
    }

    /** The fold, then the halving stages: this worker ends with chunk v's sum in {@link #work}, rounded to the wire. */
    private void halve(int parity, Wire wire) {
        int folded = foldedInto();
        if (folded >= 0) {
            await(scattered[parity], 0, folded, partLength, Frame.HALVING_SCATTER);
            add(partStart, partStart + partLength, 0);
        }
        for (int s = 1; s <= rounds; s++) {
            int d = p >> s;
            int block = v & ~(2 * d - 1);
            int keep = block + (v & d);
            int give = block + ((v & d) ^ d);
            int partner = real(v ^ d);
            send(partner, Frame.HALVING_SCATTER, s, at(give), at(give + d), scatterBase(partner, s, partLength), wire);
            Rounding.toWire(wire, work, workBytes, at(keep), at(keep + d)); // as the partner's half arrives: rounded
            await(scattered[parity], s, partner, at(keep + d) - at(keep), Frame.HALVING_SCATTER);
            add(at(keep), at(keep + d), scatterBase(rank, s, partLength));
        }
        Rounding.toWire(wire, work, workBytes, at(v), at(v + 1)); // the sum, as the peers will receive it
    }

    /** The doubling stages, then the unfold: every chunk's sum in {@link #work}. */
    private void doubling(int parity, Wire wire) {
        for (int s = 0; s < rounds; s++) {
            int d = 1 << s;
            int partner = real(v ^ d);
            int mine = v & ~(d - 1);
            int theirs = (v ^ d) & ~(d - 1);
            send(partner, Frame.HALVING_GATHER, s, at(mine), at(mine + d), 0, wire);
            await(gathered[parity], s, partner, at(theirs + d) - at(theirs), Frame.HALVING_GATHER);
        }
        int folded = foldedInto();
        if (folded >= 0) {
            send(folded, Frame.HALVING_GATHER, rounds, partStart, partStart + partLength, 0, wire);
        }
    }

    /** Elements {@code [from, to)} of {@link #work} plus the incoming values from {@code base}, in place. */
    private void add(long from, long to, long base) {
        if (to > from) {
            work.get(NDArrayIndex.interval(from, to)).addi(incoming.get(NDArrayIndex.interval(base, base + to - from)));
        }
    }

    /** Elements {@code [from, to)} of {@link #work} to {@code peer} in pieces; a scatter's land at {@code column} of its incoming buffer. */
    private void send(int peer, int phase, int stage, long from, long to, long column, Wire wire) {
        int count = (int) (to - from);
        for (int done = 0; done < count; done += Frame.PIECE_FLOATS) {
            int n = Math.min(Frame.PIECE_FLOATS, count - done);
            Frame.write(header, calls, phase, rank, from + done, n, stage, 0, 0, 0, wire,
                    phase == Frame.HALVING_SCATTER ? (int) (column + done) : 0);
            links.offer(peer, Frame.PHASES[phase], codec.encode(wire, work, workBytes, from + done, n), 0, n * wire.bytes());
        }
    }

    /** Waits until {@code counts[stage]} reaches {@code due} (sent by {@code from}). */
    private void await(long[] counts, int stage, int from, long due, int phase) {
        links.await(peer -> peer != from || counts[stage] >= due, Frame.PHASES[phase]);
    }

    /** Every rank's samples and loss added in rank order; every rank's busy seconds, by recursive doubling. */
    @Override
    public Totals totals(double samples, double lossSum, double busySeconds) {
        long t0 = System.nanoTime();
        int parity = (int) (calls & 1);
        double[] t = rankTotals[parity];
        int[] got = totalsGot[parity];
        t[3 * rank] = samples;
        t[3 * rank + 1] = lossSum;
        t[3 * rank + 2] = busySeconds;
        if (v < 0) {
            sendTotals(rank + 1, 0, rank, 1);
            awaitTotals(got, rounds + 1, rank + 1, size);
        } else {
            int folded = foldedInto();
            if (folded >= 0) {
                awaitTotals(got, 0, folded, 1);
            }
            for (int s = 0; s < rounds; s++) {
                int d = 1 << s;
                int mine = v & ~(d - 1);
                int theirs = (v ^ d) & ~(d - 1);
                sendTotals(real(v ^ d), s + 1, firstRank(mine), firstRank(mine + d) - firstRank(mine));
                awaitTotals(got, s + 1, real(v ^ d), firstRank(theirs + d) - firstRank(theirs));
            }
            if (folded >= 0) {
                sendTotals(folded, rounds + 1, 0, size);
            }
        }
        double allSamples = 0;
        double allLoss = 0;
        for (int r = 0; r < size; r++) { // rank order, as every other all-reduce adds them
            allSamples += t[3 * r];
            allLoss += t[3 * r + 1];
            busyTotal[r] += t[3 * r + 2];
        }
        java.util.Arrays.fill(got, 0);
        calls++;
        lastReturn = System.nanoTime();
        reduceNanos += lastReturn - t0;
        return new Totals(allSamples, allLoss);
    }

    private void sendTotals(int peer, int stage, int first, int count) {
        double[] t = rankTotals[(int) (calls & 1)];
        for (int j = 0; j < 3 * count; j++) {
            totalsPiece.putDouble(j * 8, t[3 * first + j], ByteOrder.LITTLE_ENDIAN);
        }
        Frame.write(header, calls, Frame.RANK_TOTALS, rank, first, count, stage, 0, 0, 0, Wire.FP32);
        links.offer(peer, Frame.PHASES[Frame.RANK_TOTALS], totalsPiece, 0, count * Frame.RANK_TOTALS_BYTES);
    }

    private void awaitTotals(int[] got, int stage, int from, int due) {
        links.await(peer -> peer != from || got[stage] >= due, Frame.PHASES[Frame.RANK_TOTALS]);
    }

    private void onMessage(DirectBuffer buf, int offset, int len, Header h) {
        long call = Frame.call(buf, offset);
        int phase = Frame.phase(buf, offset);
        int from = Frame.from(buf, offset);
        long index = Frame.index(buf, offset);
        int n = Frame.count(buf, offset);
        int stage = Frame.total(buf, offset);
        int column = Frame.column(buf, offset);
        Wire wire = Frame.wire(buf, offset);
        // a peer may be one call ahead in the halving and the totals (they need nothing of this worker's current call's
        // stages), never in the doubling
        boolean expected = call == calls || (call == calls + 1 && phase != Frame.HALVING_GATHER);
        boolean peer = from >= 0 && from < size && talksTo[from];
        boolean fits = n >= 0 && wire != null && len == Frame.length(phase, n, wire) && switch (phase) {
            case Frame.HALVING_SCATTER -> stage >= 0 && stage <= rounds && column >= 0 && column + (long) n <= incoming.length();
            case Frame.HALVING_GATHER -> stage >= 0 && stage <= rounds && index >= 0 && index + n <= length;
            case Frame.RANK_TOTALS -> stage >= 0 && stage <= rounds + 1 && index >= 0 && index + n <= size;
            default -> false;
        };
        if (!expected || !peer || !fits) {
            links.protocolError(new IllegalStateException("all-reduce (halving): worker " + rank + " at call " + calls + " got a message of call "
                    + call + " phase " + phase + " stage " + stage + " from worker " + from + " (" + len + " bytes): workers are out of step"));
            return;
        }
        int parity = (int) (call & 1);
        int payload = offset + Frame.HEADER_BYTES;
        switch (phase) {
            case Frame.HALVING_SCATTER -> {
                codec.decode(wire, buf, payload, n, incoming, incomingBytes, column);
                scattered[parity][stage] += n;
            }
            case Frame.HALVING_GATHER -> {
                codec.decode(wire, buf, payload, n, work, workBytes, index);
                gathered[parity][stage] += n;
            }
            default -> {
                for (int j = 0; j < 3 * n; j++) {
                    rankTotals[parity][(int) (3 * index) + j] = buf.getDouble(payload + j * 8, ByteOrder.LITTLE_ENDIAN);
                }
                totalsGot[parity][stage] += n;
            }
        }
    }

    /** The workers this one exchanges messages with: log2 p, one more if a rank folds into it; 1 if it folds. */
    int peers() {
        int n = 0;
        for (boolean t : talksTo) {
            n += t ? 1 : 0;
        }
        return n;
    }

    @Override
    public Totals reduceSparse(INDArray vector, int[] index, float[] value, int count, double samples, double lossSum) {
        throw new UnsupportedOperationException("the halving all-reduce is dense only; topk's pairs go over Aeron among all workers");
    }

    @Override
    public double[] busySeconds() {
        return busyTotal.clone();
    }

    @Override
    public long bytesSent() {
        return links.bytesSent();
    }

    @Override
    public double reduceSeconds() {
        return reduceNanos / 1e9;
    }

    @Override
    public long foreignFrames() {
        return links.foreignFrames();
    }

    @Override
    public String transport() {
        return links.transport("halving");
    }

    @Override
    public void close() {
        links.close();
    }
}
