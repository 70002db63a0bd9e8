package dev.kindling.spark.allreduce;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.Header;
import dev.kindling.spark.config.Wire;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
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
 * (one worker computed each chunk's sum, in a fixed order).
 *
 * <p>Each worker also contributes a sample count and a loss sum with its vector, so that the caller
 * can form the mean over every worker's examples. Nothing waits forever: a peer that sends nothing
 * for {@code stall} fails the call with the peer's rank and address; a cancelled Spark task stops
 * the wait. Messages carry the vector in the platform's byte order (all workers of one job run on
 * one architecture). The wire format is {@link Frame}; the media driver and channels {@link AeronNode}.
 */
public final class AeronAllReduce implements AllReduce {

    private final int rank;
    private final int size;
    private final long length;
    private final String[] endpoints;
    private final Subscription subscription;
    private final ExclusivePublication[] publications;
    private final FragmentAssembler assembler = new FragmentAssembler(this::onMessage);
    private final Duration stall;
    private final BooleanSupplier cancelled;
    private final IdleStrategy idle = new BackoffIdleStrategy(10, 20, 1_000, 200_000);
    private final INDArray work;
    private final UnsafeBuffer workBytes;
    /** Row r: worker r's contribution to this worker's chunk (of the part of the vector the current call reduces). */
    private final INDArray contributions;
    private final UnsafeBuffer contributionBytes;
    private final UnsafeBuffer header = new UnsafeBuffer(new byte[Frame.HEADER_BYTES]);
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
    /**
     * One fp16 piece to convert through (ND4J casts in native code): one to send
     * from and one to receive into, since a send that waits on back-pressure drains (receives) meanwhile.
     */
    private final Map<Wire, INDArray> sendPieces = new EnumMap<>(Wire.class);
    private final Map<Wire, INDArray> receivePieces = new EnumMap<>(Wire.class);
    /** The bf16 piece being sent ({@link Bf16}: received pieces are decoded straight from Aeron's buffer). */
    private final UnsafeBuffer bf16Piece = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(Frame.PIECE_FLOATS * 2));
    private long calls;
    private long bytesSent;
    private long reduceNanos;
    private RuntimeException protocolError;
    private final RunToken token;
    /** Messages dropped because they did not carry {@link #token}: not from a worker of this all-reduce. */
    private long foreignFrames;

    private AeronAllReduce(int rank, int size, long length, String[] endpoints, Subscription subscription,
                           ExclusivePublication[] publications, RunToken token, Duration stall, BooleanSupplier cancelled) {
        this.token = token;
        Frame.sign(header, token);
        this.rank = rank;
        this.size = size;
        this.length = length;
        this.endpoints = endpoints;
        this.subscription = subscription;
        this.publications = publications;
        this.stall = stall;
        this.cancelled = cancelled;
        this.work = Nd4j.create(DataType.FLOAT, length);
        this.workBytes = FloatBytes.wrap(work);
        this.partLength = length;
        // the longest chunk any part of the vector gives a worker: ceil(length / size)
        this.contributions = Nd4j.create(DataType.FLOAT, size, Math.max(1, (length + size - 1) / size));
        this.contributionBytes = FloatBytes.wrap(contributions);
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
    }

    /**
     * Joins the all-reduce: subscribes on an ephemeral UDP port of {@code host}, exchanges endpoints
     * through {@code rendezvous}, connects to every peer and waits (up to {@code stall}) until every
     * peer has connected back.
     *
     * @param length floats per vector, the same on every worker
     */
    public static AeronAllReduce open(int rank, int size, long length, String host, Rendezvous rendezvous, RunToken token, Duration stall,
                                      BooleanSupplier cancelled) {
        if (size < 1 || rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank " + rank + " of " + size + " workers");
        }
        if (length < size || length > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("all-reduce of " + length + " floats among " + size + " workers: supports "
                    + size + " to " + Integer.MAX_VALUE / 4 + " floats");
        }
        Aeron aeron = AeronNode.aeron();
        Subscription sub = aeron.addSubscription(AeronNode.subscriptionChannel(host, size - 1), Frame.STREAM_ID);
        ExclusivePublication[] pubs = new ExclusivePublication[size];
        try {
            String mine = host + ":" + boundPort(sub, host, stall);
            String[] endpoints = rendezvous.allGather(mine);
            if (endpoints.length != size || !endpoints[rank].equals(mine)) {
                throw new IllegalStateException("all-reduce rendezvous returned " + List.of(endpoints) + " for worker " + rank + " at " + mine);
            }
            int mtu = AeronNode.frameMtu(host); // one interface carries every peer's frames
            for (int peer = 0; peer < size; peer++) {
                if (peer != rank) {
                    pubs[peer] = aeron.addExclusivePublication(AeronNode.channel(endpoints[peer], mtu), Frame.STREAM_ID);
                }
            }
            AeronAllReduce ar = new AeronAllReduce(rank, size, length, endpoints, sub, pubs, token, stall, cancelled);
            ar.awaitConnected();
            ar.lastReturn = System.nanoTime();
            return ar;
        } catch (RuntimeException e) {
            closeAll(sub, pubs);
            throw e;
        }
    }

    private static int boundPort(Subscription sub, String host, Duration stall) {
        long deadline = System.nanoTime() + stall.toNanos();
        IdleStrategy wait = new BackoffIdleStrategy(1, 1, 1_000_000, 10_000_000);
        while (true) {
            for (String address : sub.localSocketAddresses()) {
                int colon = address.lastIndexOf(':');
                int port = Integer.parseInt(address.substring(colon + 1));
                if (port != 0) {
                    return port;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("all-reduce: could not bind a UDP port on " + host + " within " + stall.toSeconds()
                        + " s; check that the executor's address " + host + " is local to it (SPARK_LOCAL_IP)");
            }
            wait.idle(0);
        }
    }

    private void awaitConnected() {
        long deadline = System.nanoTime() + stall.toNanos();
        while (true) {
            List<String> missing = new ArrayList<>();
            for (int peer = 0; peer < size; peer++) {
                if (peer != rank && !publications[peer].isConnected()) {
                    missing.add("worker " + peer + " at " + endpoints[peer]);
                }
            }
            if (missing.isEmpty() && subscription.imageCount() >= size - 1) {
                return;
            }
            checkCancelled();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("all-reduce: worker " + rank + " at " + endpoints[rank] + " could not connect within "
                        + stall.toSeconds() + " s to " + (missing.isEmpty() ? "its peers (" + subscription.imageCount() + " of " + (size - 1)
                        + " connected back)" : String.join(", ", missing)) + "; UDP between the executors must be open (ephemeral ports)");
            }
            subscription.poll(assembler, 16);
            idle.idle(0);
        }
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
            offer(peer, Frame.TOTALS, pairs, 0, 0);
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
            INDArray sum = null;
            for (int r = 0; r < size; r++) {
                INDArray part = r == rank ? own : contributions.get(NDArrayIndex.point(r), NDArrayIndex.interval(0, n));
                sum = sum == null ? part.dup() : sum.addi(part);
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
            if (wire == Wire.FP32) {
                offer(peer, phase, workBytes, (int) ((start + done) * 4), n * 4);
            } else if (wire == Wire.BF16) {
                Bf16.encode(workBytes, (int) (start + done), n, bf16Piece, 0); // rounds to the wire's precision
                offer(peer, phase, bf16Piece, 0, n * 2);
            } else {
                INDArray half = piece(sendPieces, wire, n);
                half.assign(work.get(NDArrayIndex.interval(start + done, start + done + n)).castTo(wire.type)); // rounds to the wire's precision
                offer(peer, phase, bytesOf(half, wire), 0, n * wire.bytes());
            }
        }
    }

    /** This worker's chunk of {@code work} rounded to {@code wire}'s precision, in place (fp32: as it is). */
    private void roundOwnChunk(Wire wire) {
        Rounding.toWire(wire, work, workBytes, chunkStart(rank), chunkStart(rank) + chunkLength(rank));
    }

    /** The first {@code n} values of a piece of {@code pieces} in {@code wire}'s type. */
    private static INDArray piece(Map<Wire, INDArray> pieces, Wire wire, int n) {
        INDArray piece = pieces.computeIfAbsent(wire, w -> Nd4j.create(w.type, Frame.PIECE_FLOATS));
        return n == Frame.PIECE_FLOATS ? piece : piece.get(NDArrayIndex.interval(0, n));
    }

    private static UnsafeBuffer bytesOf(INDArray half, Wire wire) {
        return new UnsafeBuffer(half.data().addressPointer().address(), (int) (half.length() * wire.bytes()));
    }

    /** {@code n} values of {@code wire} at {@code offset} of {@code buf}, converted to fp32 into {@code target}. */
    private void receive(DirectBuffer buf, int offset, int n, Wire wire, INDArray target) {
        INDArray half = piece(receivePieces, wire, n);
        bytesOf(half, wire).putBytes(0, buf, offset, n * wire.bytes());
        target.assign(half.castTo(DataType.FLOAT));
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
                offer(peer, Frame.SPARSE, pairs, 0, n * 8);
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

    private void offer(int peer, int phase, DirectBuffer payload, int payloadOffset, int payloadBytes) {
        ExclusivePublication pub = publications[peer];
        long stalledSince = System.nanoTime();
        while (true) {
            long result = pub.offer(header, 0, Frame.HEADER_BYTES, payload, payloadOffset, payloadBytes);
            if (result > 0) {
                bytesSent += Frame.HEADER_BYTES + (long) payloadBytes;
                idle.reset();
                return;
            }
            if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED) {
                throw new IllegalStateException("all-reduce: the publication to worker " + peer + " at " + endpoints[peer] + " is closed");
            }
            // keep draining what the peers send, or two workers sending to each other would wait forever
            if (subscription.poll(assembler, 16) > 0) {
                stalledSince = System.nanoTime();
            }
            throwProtocolError();
            checkCancelled();
            if (System.nanoTime() - stalledSince > stall.toNanos()) {
                throw stalled("sending the " + Frame.PHASES[phase] + " to worker " + peer + " at " + endpoints[peer]
                        + (result == Publication.NOT_CONNECTED ? " (not connected: it stopped)" : " (back-pressured: it stopped reading)"));
            }
            idle.idle(0);
        }
    }

    private void onMessage(DirectBuffer buf, int offset, int len, Header h) {
        if (!Frame.signedWith(buf, offset, len, token)) {
            foreignFrames++; // anything on our port without this epoch's token: dropped, never summed, never fatal
            return;
        }
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
            protocolError = new IllegalStateException("all-reduce: worker " + rank + " at call " + calls + " got a message of call " + call
                    + " phase " + phase + " from worker " + from + " (" + len + " bytes): workers are out of step");
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
            if (wire == Wire.FP32) {
                contributionBytes.putBytes((int) (at * 4), buf, offset + Frame.HEADER_BYTES, n * 4);
            } else if (wire == Wire.BF16) {
                Bf16.decode(buf, offset + Frame.HEADER_BYTES, n, contributionBytes, (int) at);
            } else {
                receive(buf, offset + Frame.HEADER_BYTES, n, wire, contributions.get(NDArrayIndex.point(from), NDArrayIndex.interval(column, column + n)));
            }
            peerSamples[from] = Frame.samples(buf, offset);
            peerLoss[from] = Frame.lossSum(buf, offset);
            peerBusy[from] = Frame.busy(buf, offset);
        } else if (wire == Wire.FP32) {
            workBytes.putBytes((int) (index * 4), buf, offset + Frame.HEADER_BYTES, n * 4);
        } else if (wire == Wire.BF16) {
            Bf16.decode(buf, offset + Frame.HEADER_BYTES, n, workBytes, (int) index);
        } else {
            receive(buf, offset + Frame.HEADER_BYTES, n, wire, work.get(NDArrayIndex.interval(index, index + n)));
        }
        received[phase][from] += n;
    }

    private void await(int phase) {
        long stalledSince = System.nanoTime();
        while (!arrived(phase)) {
            if (subscription.poll(assembler, 64) > 0) {
                stalledSince = System.nanoTime();
                idle.reset();
                continue;
            }
            throwProtocolError();
            checkCancelled();
            if (System.nanoTime() - stalledSince > stall.toNanos()) {
                List<String> who = new ArrayList<>();
                for (int peer = 0; peer < size; peer++) {
                    if (!arrived(phase, peer)) {
                        who.add("worker " + peer + " at " + endpoints[peer]);
                    }
                }
                throw stalled("waiting for the " + Frame.PHASES[phase] + " from " + String.join(", ", who));
            }
            idle.idle(0);
        }
    }

    /** Whether every peer's floats of the current call's {@code phase} have arrived (polled in a spin: no allocation). */
    private boolean arrived(int phase) {
        for (int peer = 0; peer < size; peer++) {
            if (!arrived(phase, peer)) {
                return false;
            }
        }
        return true;
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

    private IllegalStateException stalled(String what) {
        return new IllegalStateException("all-reduce: worker " + rank + " at " + endpoints[rank] + ", step " + (calls + 1) + ": nothing for "
                + stall.toSeconds() + " s " + what + "; a peer died or is stuck (see its executor log), or UDP between executors is blocked");
    }

    private void throwProtocolError() {
        if (protocolError != null) {
            throw protocolError;
        }
    }

    private void checkCancelled() {
        if (cancelled.getAsBoolean()) {
            throw new IllegalStateException("all-reduce: worker " + rank + " cancelled at step " + (calls + 1));
        }
    }

    @Override
    public double[] busySeconds() {
        return busyTotal.clone();
    }

    @Override
    public long foreignFrames() {
        return foreignFrames;
    }

    @Override
    public long bytesSent() {
        return bytesSent;
    }

    @Override
    public double reduceSeconds() {
        return reduceNanos / 1e9;
    }

    @Override
    public String transport() {
        return "aeron";
    }

    @Override
    public void close() {
        closeAll(subscription, publications);
    }

    private static void closeAll(Subscription sub, ExclusivePublication[] pubs) {
        for (ExclusivePublication p : pubs) {
            if (p != null) {
                p.close();
            }
        }
        sub.close();
    }

}
