package dev.kindling.spark.allreduce;

import io.aeron.logbuffer.Header;
import dev.kindling.spark.config.Wire;
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
 * A synchronous all-reduce of one fp32 vector among {@code size} workers over Aeron UDP: each worker
 * owns one contiguous chunk; in the reduce-scatter phase every worker sends chunk {@code j} of its
 * vector to worker {@code j}, which sums the {@code size} contributions in rank order; in the
 * all-gather phase every owner sends its summed chunk to all others. Every worker sends and receives
 * {@code 2 (size - 1) / size} of the vector per call, and every worker ends with bit-identical sums
 * (one worker computed each chunk's sum, in a fixed order). Each worker talks to every other: {@link HalvingAllReduce}
 * moves the same bytes with log2 N peers.
 *
 * <p>Each worker also contributes a sample count and a loss sum with its vector, so that the caller
 * can form the mean over every worker's examples. Nothing waits forever ({@link AeronPeers}). Messages
 * carry the vector in the platform's byte order (all workers of one job run on one architecture). The
 * wire format is {@link Frame}; the media driver and channels {@link AeronNode}.
 */
public final class AeronAllReduce implements AllReduce {

    private final int rank;
    private final int size;
    private final long length;
    private final AeronPeers links;
    private final UnsafeBuffer header;
    private final INDArray work;
    private final UnsafeBuffer workBytes;
    /** Row r: worker r's contribution to this worker's chunk (of the part of the vector the current call reduces). */
    private final INDArray contributions;
    private final UnsafeBuffer contributionBytes;
    /**
     * Where a chunk's sum is formed (as long as the longest chunk): a fresh array per call, ND4J's {@code dup}, cost a
     * zeroed allocation each time: 16% of a 2-worker call of 4.88M floats (StepBench allreduce: 73 -> 44 ms).
     */
    private final INDArray chunkSum;
    /** Floats received per phase (reduce-scatter, all-gather) and sender since the start (cumulative over calls). */
    private final long[][] received;
    /** Floats due per phase and sender up to the end of the current call: it has arrived when {@link #received} reaches them. */
    private final long[][] due;
    /** The part of the vector the current dense call reduces: its chunks are split among the workers. */
    private long partStart;
    private long partLength;
    /** Each sender's last {@link Frame#TOTALS}: its call number (-1: none yet), samples, loss sum and busy seconds. */
    private final long[] totalsCall;
    private final double[] totalsSamples;
    private final double[] totalsLoss;
    private final double[] totalsBusy;
    private final double[] peerSamples;
    private final double[] peerLoss;
    /** Each worker's work (its own step) before its current dense call, and summed over every call so far. */
    private final double[] peerBusy;
    private final double[] busyTotal;
    /** When this worker's previous call returned: the time since then is its own work. */
    private long lastReturn = System.nanoTime();
    /** Sparse pairs per call parity (a peer may be one call ahead) and sender: indices, values, counts. */
    private final int[][][] sparseIndex;
    private final float[][][] sparseValue;
    private final int[][] sparseReceived;
    private final int[][] sparseTotal;
    private final double[][] sparseSamples;
    private final double[][] sparseLoss;
    private final double[][] sparseBusy;
    private final UnsafeBuffer pairs = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(Frame.PIECE_PAIRS * 8));
    private final WireCodec codec = new WireCodec();
    private long calls;
    private long reduceNanos;

    private AeronAllReduce(int rank, int size, long length, AeronHost host, Rendezvous rendezvous, RunToken token, Duration stall,
                           BooleanSupplier cancelled) {
        this.rank = rank;
        this.size = size;
        this.length = length;
        this.work = Nd4j.create(DataType.FLOAT, length);
        this.workBytes = FloatBytes.wrap(work);
        this.partLength = length;
        // the longest chunk any part of the vector gives a worker: ceil(length / size)
        this.contributions = Nd4j.create(DataType.FLOAT, size, Math.max(1, (length + size - 1) / size));
        this.contributionBytes = FloatBytes.wrap(contributions);
        this.chunkSum = Nd4j.create(DataType.FLOAT, contributions.size(1));
        this.received = new long[2][size];
        this.due = new long[2][size];
        this.totalsCall = new long[size];
        java.util.Arrays.fill(totalsCall, -1);
        this.totalsSamples = new double[size];
        this.totalsLoss = new double[size];
        this.totalsBusy = new double[size];
        this.peerSamples = new double[size];
        this.peerLoss = new double[size];
        this.peerBusy = new double[size];
        this.busyTotal = new double[size];
        this.sparseIndex = new int[2][size][0];
        this.sparseValue = new float[2][size][0];
        this.sparseReceived = new int[2][size];
        this.sparseTotal = new int[2][size];
        this.sparseSamples = new double[2][size];
        this.sparseLoss = new double[2][size];
        this.sparseBusy = new double[2][size];
        for (int[] t : sparseTotal) {
            java.util.Arrays.fill(t, -1);
        }
        this.links = AeronPeers.open(rank, size, peer -> true, host, rendezvous, token, stall, cancelled, this::onMessage, () -> calls + 1);
        this.header = links.header();
    }

    /**
     * Joins the all-reduce: subscribes on an ephemeral UDP port of {@code host} (and its host driver's IPC), exchanges endpoints
     * through {@code rendezvous}, connects to every peer and waits (up to {@code stall}) until every
     * peer has connected back ({@link AeronPeers}).
     *
     * @param length floats per vector, the same on every worker
     */
    public static AeronAllReduce open(int rank, int size, long length, AeronHost host, Rendezvous rendezvous, RunToken token, Duration stall,
                                      BooleanSupplier cancelled) {
        AeronPeers.checkShape(rank, size, length);
        AeronAllReduce ar = new AeronAllReduce(rank, size, length, host, rendezvous, token, stall, cancelled);
        ar.links.awaitConnected();
        ar.lastReturn = System.nanoTime();
        return ar;
    }

    /** Where {@code worker}'s chunk of the current call's part of the vector starts. */
    long chunkStart(int worker) {
        return partStart + AllReduce.chunkStart(worker, partLength, size);
    }

    int chunkLength(int worker) {
        return (int) (chunkStart(worker + 1) - chunkStart(worker));
    }

    @Override
    public Totals reduce(INDArray vector, double samples, double lossSum, Wire wire) {
        if (vector.length() != length) {
            throw new IllegalArgumentException("all-reduce of " + vector.length() + " floats; opened for " + length);
        }
        long t0 = System.nanoTime();
        Totals totals = dense(vector, 0, length, samples, lossSum, (t0 - lastReturn) / 1e9, wire);
        lastReturn = System.nanoTime();
        reduceNanos += lastReturn - t0;
        return totals;
    }

    @Override
    public void reduceRange(INDArray vector, long from, long to, Wire wire) {
        AllReduce.checkRange(vector, from, to, length);
        long t0 = System.nanoTime();
        dense(vector, from, to, 0, 0, 0, wire);
        reduceNanos += System.nanoTime() - t0;
    }

    @Override
    public Totals totals(double samples, double lossSum, double busySeconds) {
        long t0 = System.nanoTime();
        for (int k = 1; k < size; k++) {
            int peer = (rank + k) % size;
            Frame.write(header, calls, Frame.TOTALS, rank, 0, 0, 0, samples, lossSum, busySeconds, Wire.FP32);
            links.offer(peer, Frame.PHASES[Frame.TOTALS], pairs, 0, 0);
        }
        totalsSamples[rank] = samples;
        totalsLoss[rank] = lossSum;
        totalsBusy[rank] = busySeconds;
        totalsCall[rank] = calls;
        await(Frame.TOTALS);
        double allSamples = 0;
        double allLoss = 0;
        for (int r = 0; r < size; r++) { // rank order, as every other call sums
            allSamples += totalsSamples[r];
            allLoss += totalsLoss[r];
            busyTotal[r] += totalsBusy[r];
        }
        calls++;
        lastReturn = System.nanoTime();
        reduceNanos += lastReturn - t0;
        return new Totals(allSamples, allLoss);
    }

    /** One dense call: elements {@code [from, to)} of {@code vector} summed over every worker, in place. */
    private Totals dense(INDArray vector, long from, long to, double samples, double lossSum, double busy, Wire wire) {
        partStart = from;
        partLength = to - from;
        for (int peer = 0; peer < size; peer++) {
            due[Frame.REDUCE_SCATTER][peer] += chunkLength(rank);
            due[Frame.ALL_GATHER][peer] += chunkLength(peer);
        }
        INDArray flat = vector.reshape(length);
        AllReduce.part(work, from, to).assign(AllReduce.part(flat, from, to));
        roundOwnChunk(wire); // this worker's contribution as its peers receive theirs
        peerSamples[rank] = samples;
        peerLoss[rank] = lossSum;
        peerBusy[rank] = busy;
        for (int k = 1; k < size; k++) {
            int peer = (rank + k) % size;
            send(peer, Frame.REDUCE_SCATTER, chunkStart(peer), chunkLength(peer), samples, lossSum, busy, wire);
        }
        await(Frame.REDUCE_SCATTER);
        Totals totals = sumOwnChunk();
        roundOwnChunk(wire); // the sum as the peers will receive it
        for (int r = 0; r < size; r++) {
            busyTotal[r] += peerBusy[r];
        }
        for (int k = 1; k < size; k++) {
            send((rank + k) % size, Frame.ALL_GATHER, chunkStart(rank), chunkLength(rank), 0, 0, 0, wire);
        }
        await(Frame.ALL_GATHER);
        calls++;
        AllReduce.part(flat, from, to).assign(AllReduce.part(work, from, to));
        return totals;
    }

    /** Sums the contributions to this worker's chunk in rank order, into its chunk of {@code work}. */
    private Totals sumOwnChunk() {
        int n = chunkLength(rank);
        double samples = 0;
        double loss = 0;
        if (n > 0) {
            INDArray own = work.get(NDArrayIndex.interval(chunkStart(rank), chunkStart(rank) + n));
            INDArray sum = chunkSum.get(NDArrayIndex.interval(0, n));
            for (int r = 0; r < size; r++) {
                INDArray part = r == rank ? own : contributions.get(NDArrayIndex.point(r), NDArrayIndex.interval(0, n));
                if (r == 0) {
                    sum.assign(part);
                } else {
                    sum.addi(part);
                }
            }
            own.assign(sum);
        }
        for (int r = 0; r < size; r++) {
            samples += peerSamples[r];
            loss += peerLoss[r];
        }
        return new Totals(samples, loss);
    }

    /** {@code count} floats of {@code work} from {@code start}: the start of the receiver's chunk in the reduce-scatter. */
    private void send(int peer, int phase, long start, int count, double samples, double lossSum, double busy, Wire wire) {
        for (int done = 0; done < count; done += Frame.PIECE_FLOATS) {
            int n = Math.min(Frame.PIECE_FLOATS, count - done);
            Frame.write(header, calls, phase, rank, start + done, n, 0, samples, lossSum, busy, wire, phase == Frame.REDUCE_SCATTER ? done : 0);
            links.offer(peer, Frame.PHASES[phase], codec.encode(wire, work, workBytes, start + done, n), 0, n * wire.bytes());
        }
    }

    /** This worker's chunk of {@code work} rounded to {@code wire}'s precision, in place (fp32: as it is). */
    private void roundOwnChunk(Wire wire) {
        Rounding.toWire(wire, work, workBytes, chunkStart(rank), chunkStart(rank) + chunkLength(rank));
    }

    /** Each worker sends its pairs to every peer ({@code 8 count} bytes each). */
    @Override
    public Totals reduceSparse(INDArray vector, int[] index, float[] value, int count, double samples, double lossSum) {
        if (vector.length() != length) {
            throw new IllegalArgumentException("sparse all-reduce into " + vector.length() + " floats; opened for " + length);
        }
        long t0 = System.nanoTime();
        double busy = (t0 - lastReturn) / 1e9;
        int parity = (int) (calls & 1);
        for (int k = 1; k < size; k++) {
            int peer = (rank + k) % size;
            int done = 0;
            do { // an empty set is still one message: the peers learn the count
                int n = Math.min(Frame.PIECE_PAIRS, count - done);
                Frame.write(header, calls, Frame.SPARSE, rank, done, n, count, samples, lossSum, busy, Wire.FP32);
                for (int j = 0; j < n; j++) {
                    pairs.putInt(j * 4, index[done + j], ByteOrder.LITTLE_ENDIAN);
                    pairs.putFloat(n * 4 + j * 4, value[done + j], ByteOrder.LITTLE_ENDIAN);
                }
                links.offer(peer, Frame.PHASES[Frame.SPARSE], pairs, 0, n * 8);
                done += n;
            } while (done < count);
        }
        await(Frame.SPARSE);
        work.assign(0);
        double allSamples = 0;
        double allLoss = 0;
        for (int r = 0; r < size; r++) {
            int[] idx = r == rank ? index : sparseIndex[parity][r];
            float[] val = r == rank ? value : sparseValue[parity][r];
            int n = r == rank ? count : sparseTotal[parity][r];
            FloatBytes.addPairs(workBytes, idx, val, n);
            allSamples += r == rank ? samples : sparseSamples[parity][r];
            allLoss += r == rank ? lossSum : sparseLoss[parity][r];
            busyTotal[r] += r == rank ? busy : sparseBusy[parity][r];
            sparseReceived[parity][r] = 0;
            sparseTotal[parity][r] = -1;
        }
        calls++;
        vector.reshape(length).assign(work);
        lastReturn = System.nanoTime();
        reduceNanos += lastReturn - t0;
        return new Totals(allSamples, allLoss);
    }

    private void onMessage(DirectBuffer buf, int offset, int len, Header h) {
        long call = Frame.call(buf, offset);
        int phase = Frame.phase(buf, offset);
        int from = Frame.from(buf, offset);
        long index = Frame.index(buf, offset);
        int n = Frame.count(buf, offset);
        Wire wire = Frame.wire(buf, offset);
        // a peer may be one call ahead in the reduce-scatter and the sparse all-gather, never further, and
        // never in the all-gather
        boolean expected = phase == Frame.ALL_GATHER ? call == calls : call == calls || call == calls + 1;
        int column = Frame.column(buf, offset);
        boolean inBounds = phase == Frame.REDUCE_SCATTER ? column >= 0 && column + (long) n <= contributions.size(1)
                : phase != Frame.ALL_GATHER || (index >= 0 && index + n <= length);
        if (!expected || phase < 0 || phase > Frame.TOTALS || from < 0 || from >= size || from == rank || n < 0 || wire == null
                || len != Frame.length(phase, n, wire) || !inBounds) {
            links.protocolError(new IllegalStateException("all-reduce: worker " + rank + " at call " + calls + " got a message of call " + call
                    + " phase " + phase + " from worker " + from + " (" + len + " bytes): workers are out of step"));
            return;
        }
        if (phase == Frame.TOTALS) {
            totalsSamples[from] = Frame.samples(buf, offset);
            totalsLoss[from] = Frame.lossSum(buf, offset);
            totalsBusy[from] = Frame.busy(buf, offset);
            totalsCall[from] = call;
            return;
        }
        if (phase == Frame.SPARSE) {
            int parity = (int) (call & 1);
            int total = Frame.total(buf, offset);
            if (sparseIndex[parity][from].length < total) {
                sparseIndex[parity][from] = new int[total];
                sparseValue[parity][from] = new float[total];
            }
            int at = (int) index;
            for (int j = 0; j < n; j++) {
                sparseIndex[parity][from][at + j] = buf.getInt(offset + Frame.HEADER_BYTES + j * 4, ByteOrder.LITTLE_ENDIAN);
                sparseValue[parity][from][at + j] = buf.getFloat(offset + Frame.HEADER_BYTES + n * 4 + j * 4, ByteOrder.LITTLE_ENDIAN);
            }
            sparseTotal[parity][from] = total;
            sparseReceived[parity][from] += n;
            sparseSamples[parity][from] = Frame.samples(buf, offset);
            sparseLoss[parity][from] = Frame.lossSum(buf, offset);
            sparseBusy[parity][from] = Frame.busy(buf, offset);
            return;
        }
        if (phase == Frame.REDUCE_SCATTER) {
            long at = (long) from * contributions.size(1) + column;
            codec.decode(wire, buf, offset + Frame.HEADER_BYTES, n, contributions, contributionBytes, at);
            peerSamples[from] = Frame.samples(buf, offset);
            peerLoss[from] = Frame.lossSum(buf, offset);
            peerBusy[from] = Frame.busy(buf, offset);
        } else {
            codec.decode(wire, buf, offset + Frame.HEADER_BYTES, n, work, workBytes, index);
        }
        received[phase][from] += n;
    }

    private void await(int phase) {
        links.await(peer -> arrived(phase, peer), Frame.PHASES[phase]);
    }

    private boolean arrived(int phase, int peer) {
        if (peer == rank) {
            return true;
        }
        if (phase == Frame.SPARSE) {
            int parity = (int) (calls & 1);
            return sparseTotal[parity][peer] >= 0 && sparseReceived[parity][peer] == sparseTotal[parity][peer];
        }
        if (phase == Frame.TOTALS) {
            return totalsCall[peer] == calls;
        }
        return received[phase][peer] >= due[phase][peer];
    }

    @Override
    public double[] busySeconds() {
        return busyTotal.clone();
    }

    @Override
    public long foreignFrames() {
        return links.foreignFrames();
    }

    @Override
    public long bytesSent() {
        return links.bytesSent();
    }

    /** Of this worker's peers, how many it reaches over IPC (they share its host driver). */
    int ipcPeers() {
        return links.ipcPeers();
    }

    @Override
    public double reduceSeconds() {
        return reduceNanos / 1e9;
    }

    @Override
    public String transport() {
        return links.transport("aeron");
    }

    @Override
    public void close() {
        links.close();
    }

}
