package dev.kindling.spark.allreduce;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One worker's Aeron links for an all-reduce: a subscription every peer sends to, an exclusive publication to
 * each peer it talks to (all others for {@link AeronAllReduce}, log2 N of them for {@link HalvingAllReduce}),
 * and the waits every algorithm shares. Peers that share this worker's host driver ({@link HostDriver}, when
 * {@link AeronHost#ipcScope} is set) are reached over IPC, on a stream of the receiver's own; the others over
 * UDP, each worker on an ephemeral port of its own JVM's driver. Both subscriptions are polled alike. Nothing
 * waits forever: a peer that sends nothing for {@code stall} fails the wait naming the peer's rank and address; a
 * cancelled Spark task stops it. A message without this epoch's {@link RunToken} is counted as foreign and dropped
 * before the algorithm sees it.
 */
final class AeronPeers implements AutoCloseable {
    private final int rank;
    private final String[] endpoints;
    private final Subscription subscription;
    /** Where peers on this host send over IPC: null without a host driver. */
    private final Subscription ipcSubscription;
    /** By rank: null for this worker and for workers it does not talk to. */
    private final ExclusivePublication[] publications;
    private final FragmentAssembler assembler;
    /** A second assembler: a fragment's session is only unique within its own driver. */
    private final FragmentAssembler ipcAssembler;
    private final Duration stall;
    private final BooleanSupplier cancelled;
    private final IdleStrategy idle = new BackoffIdleStrategy(10, 20, 1_000, 200_000);
    private final RunToken token;
    /** The header of the next message: {@link Frame#write} fills it, {@link #offer} sends it before the payload. */
    private final UnsafeBuffer header = new UnsafeBuffer(new byte[Frame.HEADER_BYTES]);
    /** Which step the worker is at, for errors. */
    private final LongSupplier step;
    private long bytesSent;
    private long foreignFrames;
    private RuntimeException protocolError;

    private AeronPeers(int rank, String[] endpoints, Subscription subscription, Subscription ipcSubscription,
                       ExclusivePublication[] publications, RunToken token, Duration stall, BooleanSupplier cancelled,
                       FragmentHandler onMessage, LongSupplier step) {
        this.rank = rank;
        this.endpoints = endpoints;
        this.subscription = subscription;
        this.ipcSubscription = ipcSubscription;
        this.publications = publications;
        this.token = token;
        this.stall = stall;
        this.cancelled = cancelled;
        this.step = step;
        Frame.sign(header, token);
        FragmentHandler signed = (buf, offset, len, h) -> {
            if (!Frame.signedWith(buf, offset, len, token)) {
                foreignFrames++; // anything on our port without this epoch's token: dropped, never summed, never fatal
                return;
            }
            onMessage.onFragment(buf, offset, len, h);
        };
        this.assembler = new FragmentAssembler(signed);
        this.ipcAssembler = new FragmentAssembler(signed);
    }

    /** Rejects a rank outside {@code [0, size)} or a vector the all-reduces cannot cut into chunks and address as bytes. */
    static void checkShape(int rank, int size, long length) {
        if (size < 1 || rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank " + rank + " of " + size + " workers");
        }
        if (length < size || length > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("all-reduce of " + length + " floats among " + size + " workers: supports "
                    + size + " to " + Integer.MAX_VALUE / 4 + " floats");
        }
    }

    /**
     * Subscribes on an ephemeral UDP port of {@code host}'s address (and on a stream of its host driver, if it shares
     * one), exchanges endpoints with all {@code size} workers through {@code rendezvous} and connects to the workers
     * {@code talksTo} accepts; {@link #awaitConnected} waits for them. {@code onMessage} receives every signed message
     * (none before that wait); {@code step} names the step in errors.
     */
    static AeronPeers open(int rank, int size, IntPredicate talksTo, AeronHost host, Rendezvous rendezvous, RunToken token, Duration stall,
                           BooleanSupplier cancelled, FragmentHandler onMessage, LongSupplier step) {
        int peers = 0;
        for (int r = 0; r < size; r++) {
            peers += r != rank && talksTo.test(r) ? 1 : 0;
        }
        Aeron aeron = AeronNode.aeron();
        HostDriver shared = host.ipcScope() == null ? null : HostDriver.forScope(host.ipcScope());
        Subscription sub = aeron.addSubscription(AeronNode.subscriptionChannel(host.address(), peers), Frame.STREAM_ID);
        Subscription ipcSub = null;
        ExclusivePublication[] pubs = new ExclusivePublication[size];
        try {
            String mine = host.address() + ":" + boundPort(sub, host.address(), stall);
            IpcLink ipc = null;
            if (shared != null) {
                ipc = new IpcLink(shared.id(), ThreadLocalRandom.current().nextInt(Frame.STREAM_ID + 1, Integer.MAX_VALUE));
                ipcSub = shared.aeron().addSubscription(IpcLink.CHANNEL, ipc.stream());
            }
            String[] gathered = rendezvous.allGather(IpcLink.describe(mine, ipc));
            if (gathered.length != size || !IpcLink.endpoint(gathered[rank]).equals(mine)) {
                throw new IllegalStateException("all-reduce rendezvous returned " + List.of(gathered) + " for worker " + rank + " at " + mine);
            }
            String[] endpoints = new String[size];
            int mtu = AeronNode.frameMtu(host.address()); // one interface carries every peer's frames
            for (int r = 0; r < size; r++) {
                endpoints[r] = IpcLink.endpoint(gathered[r]);
                IpcLink theirs = IpcLink.of(gathered[r]);
                boolean sameHost = ipc != null && theirs != null && theirs.driver().equals(ipc.driver());
                if (r != rank && talksTo.test(r)) {
                    pubs[r] = sameHost ? shared.aeron().addExclusivePublication(IpcLink.CHANNEL, theirs.stream())
                            : aeron.addExclusivePublication(AeronNode.channel(endpoints[r], mtu), Frame.STREAM_ID);
                }
                if (sameHost && r != rank) {
                    endpoints[r] += " (IPC)";
                }
            }
            return new AeronPeers(rank, endpoints, sub, ipcSub, pubs, token, stall, cancelled, onMessage, step);
        } catch (RuntimeException e) {
            closeAll(sub, ipcSub, pubs);
            throw e;
        }
    }

    /**
     * A worker's IPC address: the id of its host driver and the stream it reads there, random so that the
     * all-reduces of other workers and runs on that driver never meet it. Travels in the rendezvous after the UDP
     * endpoint: {@code "10.0.0.4:40123 ipc=<driver>/<stream>"}.
     */
    record IpcLink(String driver, int stream) {
        static final String CHANNEL = "aeron:ipc";
        private static final String KEY = " ipc=";

        static String describe(String endpoint, IpcLink ipc) {
            return ipc == null ? endpoint : endpoint + KEY + ipc.driver + "/" + ipc.stream;
        }

        static String endpoint(String described) {
            int at = described.indexOf(KEY);
            return at < 0 ? described : described.substring(0, at);
        }

        /** The IPC link in a rendezvous entry, or null when its worker shares no driver. */
        static IpcLink of(String described) {
            int at = described.indexOf(KEY);
            if (at < 0) {
                return null;
            }
            String rest = described.substring(at + KEY.length());
            int slash = rest.lastIndexOf('/');
            return new IpcLink(rest.substring(0, slash), Integer.parseInt(rest.substring(slash + 1)));
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

    /** Waits (up to {@code stall}) until every peer this worker talks to has connected, both ways; closes the links if not. */
    void awaitConnected() {
        try {
            connect();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void connect() {
        int peers = 0;
        for (ExclusivePublication p : publications) {
            peers += p != null ? 1 : 0;
        }
        long deadline = System.nanoTime() + stall.toNanos();
        while (true) {
            List<String> missing = new ArrayList<>();
            for (int peer = 0; peer < publications.length; peer++) {
                if (publications[peer] != null && !publications[peer].isConnected()) {
                    missing.add(name(peer));
                }
            }
            if (missing.isEmpty() && imageCount() >= peers) {
                return;
            }
            checkCancelled();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("all-reduce: worker " + rank + " at " + endpoints[rank] + " could not connect within "
                        + stall.toSeconds() + " s to " + (missing.isEmpty() ? "its peers (" + imageCount() + " of " + peers
                        + " connected back)" : String.join(", ", missing)) + "; UDP between the executors must be open (ephemeral ports)");
            }
            poll(16);
            idle.idle(0);
        }
    }

    private int imageCount() {
        return subscription.imageCount() + (ipcSubscription == null ? 0 : ipcSubscription.imageCount());
    }

    /** Delivers up to {@code limit} fragments from each subscription; returns how many arrived. */
    private int poll(int limit) {
        return subscription.poll(assembler, limit) + (ipcSubscription == null ? 0 : ipcSubscription.poll(ipcAssembler, limit));
    }

    /** What a transport's name ends with when a worker reaches some of its peers over IPC. */
    static final String IPC_SUFFIX = "+ipc";

    /** {@code algorithm}'s name for {@code comm.transport}, with {@link #IPC_SUFFIX} if any peer is reached over IPC. */
    String transport(String algorithm) {
        return ipcPeers() > 0 ? algorithm + IPC_SUFFIX : algorithm;
    }

    /** How many of the peers this worker sends to it reaches over IPC. */
    int ipcPeers() {
        int n = 0;
        for (ExclusivePublication p : publications) {
            n += p != null && p.channel().startsWith(IpcLink.CHANNEL) ? 1 : 0;
        }
        return n;
    }

    /** The header {@link #offer} sends next, for {@link Frame#write}. */
    UnsafeBuffer header() {
        return header;
    }

    /** "worker 3 at 10.0.0.4:40123", with " (IPC)" for a peer on this host's driver. */
    String name(int worker) {
        return "worker " + worker + " at " + endpoints[worker];
    }

    /**
     * Sends {@link #header} and {@code payloadBytes} of {@code payload} to {@code peer} as one message, receiving
     * meanwhile while the peer's window is full ({@code what}, e.g. "all-gather", names the message in errors).
     */
    void offer(int peer, String what, DirectBuffer payload, int payloadOffset, int payloadBytes) {
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
                throw new IllegalStateException("all-reduce: the publication to " + name(peer) + " is closed");
            }
            // keep draining what the peers send, or two workers sending to each other would wait forever
            if (poll(16) > 0) {
                stalledSince = System.nanoTime();
            }
            throwProtocolError();
            checkCancelled();
            if (System.nanoTime() - stalledSince > stall.toNanos()) {
                throw stalled("sending the " + what + " to " + name(peer)
                        + (result == Publication.NOT_CONNECTED ? " (not connected: it stopped)" : " (back-pressured: it stopped reading)"));
            }
            idle.idle(0);
        }
    }

    /**
     * Receives until {@code arrived} accepts every worker (this one is never asked); a wait of {@code stall} without a
     * message fails naming {@code what} ("reduce-scatter") and the workers not yet arrived.
     */
    void await(IntPredicate arrived, String what) {
        long stalledSince = System.nanoTime();
        while (!all(arrived)) {
            if (poll(64) > 0) {
                stalledSince = System.nanoTime();
                idle.reset();
                continue;
            }
            throwProtocolError();
            checkCancelled();
            if (System.nanoTime() - stalledSince > stall.toNanos()) {
                List<String> who = new ArrayList<>();
                for (int peer = 0; peer < endpoints.length; peer++) {
                    if (peer != rank && !arrived.test(peer)) {
                        who.add(name(peer));
                    }
                }
                throw stalled("waiting for the " + what + " from " + String.join(", ", who));
            }
            idle.idle(0);
        }
    }

    /** Whether {@code arrived} accepts every other worker (polled in a spin: no allocation). */
    private boolean all(IntPredicate arrived) {
        for (int peer = 0; peer < endpoints.length; peer++) {
            if (peer != rank && !arrived.test(peer)) {
                return false;
            }
        }
        return true;
    }

    /** Records a message that does not fit the protocol: the current wait fails with {@code error}. */
    void protocolError(RuntimeException error) {
        protocolError = error;
    }

    private IllegalStateException stalled(String what) {
        return new IllegalStateException("all-reduce: worker " + rank + " at " + endpoints[rank] + ", step " + step.getAsLong() + ": nothing for "
                + stall.toSeconds() + " s " + what + "; a peer died or is stuck (see its executor log), or UDP between executors is blocked");
    }

    private void throwProtocolError() {
        if (protocolError != null) {
            throw protocolError;
        }
    }

    private void checkCancelled() {
        if (cancelled.getAsBoolean()) {
            throw new IllegalStateException("all-reduce: worker " + rank + " cancelled at step " + step.getAsLong());
        }
    }

    long bytesSent() {
        return bytesSent;
    }

    long foreignFrames() {
        return foreignFrames;
    }

    @Override
    public void close() {
        closeAll(subscription, ipcSubscription, publications);
    }

    private static void closeAll(Subscription sub, Subscription ipcSub, ExclusivePublication[] pubs) {
        for (ExclusivePublication p : pubs) {
            if (p != null) {
                p.close();
            }
        }
        sub.close();
        if (ipcSub != null) {
            ipcSub.close();
        }
    }
}
