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
 * and the waits every algorithm shares. Nothing waits forever: a peer that sends nothing for {@code stall}
 * fails the wait naming the peer's rank and address; a cancelled Spark task stops it. A message without this
 * epoch's {@link RunToken} is counted as foreign and dropped before the algorithm sees it.
 */
final class AeronPeers implements AutoCloseable {
    private final int rank;
    private final String[] endpoints;
    private final Subscription subscription;
    /** By rank: null for this worker and for workers it does not talk to. */
    private final ExclusivePublication[] publications;
    private final FragmentAssembler assembler;
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

    private AeronPeers(int rank, String[] endpoints, Subscription subscription, ExclusivePublication[] publications, RunToken token,
                       Duration stall, BooleanSupplier cancelled, FragmentHandler onMessage, LongSupplier step) {
        this.rank = rank;
        this.endpoints = endpoints;
        this.subscription = subscription;
        this.publications = publications;
        this.token = token;
        this.stall = stall;
        this.cancelled = cancelled;
        this.step = step;
        Frame.sign(header, token);
        this.assembler = new FragmentAssembler((buf, offset, len, h) -> {
            if (!Frame.signedWith(buf, offset, len, token)) {
                foreignFrames++; // anything on our port without this epoch's token: dropped, never summed, never fatal
                return;
            }
            onMessage.onFragment(buf, offset, len, h);
        });
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
     * Subscribes on an ephemeral UDP port of {@code host}, exchanges endpoints with all {@code size} workers through
     * {@code rendezvous} and connects to the workers {@code talksTo} accepts; {@link #awaitConnected} waits for them.
     * {@code onMessage} receives every signed message (none before that wait); {@code step} names the step in errors.
     */
    static AeronPeers open(int rank, int size, IntPredicate talksTo, String host, Rendezvous rendezvous, RunToken token, Duration stall,
                           BooleanSupplier cancelled, FragmentHandler onMessage, LongSupplier step) {
        int peers = 0;
        for (int r = 0; r < size; r++) {
            peers += r != rank && talksTo.test(r) ? 1 : 0;
        }
        Aeron aeron = AeronNode.aeron();
        Subscription sub = aeron.addSubscription(AeronNode.subscriptionChannel(host, peers), Frame.STREAM_ID);
        ExclusivePublication[] pubs = new ExclusivePublication[size];
        try {
            String mine = host + ":" + boundPort(sub, host, stall);
            String[] endpoints = rendezvous.allGather(mine);
            if (endpoints.length != size || !endpoints[rank].equals(mine)) {
                throw new IllegalStateException("all-reduce rendezvous returned " + List.of(endpoints) + " for worker " + rank + " at " + mine);
            }
            int mtu = AeronNode.frameMtu(host); // one interface carries every peer's frames
            for (int r = 0; r < size; r++) {
                if (r != rank && talksTo.test(r)) {
                    pubs[r] = aeron.addExclusivePublication(AeronNode.channel(endpoints[r], mtu), Frame.STREAM_ID);
                }
            }
            return new AeronPeers(rank, endpoints, sub, pubs, token, stall, cancelled, onMessage, step);
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
            if (missing.isEmpty() && subscription.imageCount() >= peers) {
                return;
            }
            checkCancelled();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("all-reduce: worker " + rank + " at " + endpoints[rank] + " could not connect within "
                        + stall.toSeconds() + " s to " + (missing.isEmpty() ? "its peers (" + subscription.imageCount() + " of " + peers
                        + " connected back)" : String.join(", ", missing)) + "; UDP between the executors must be open (ephemeral ports)");
            }
            subscription.poll(assembler, 16);
            idle.idle(0);
        }
    }

    /** The header {@link #offer} sends next, for {@link Frame#write}. */
    UnsafeBuffer header() {
        return header;
    }

    /** "worker 3 at 10.0.0.4:40123". */
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
            if (subscription.poll(assembler, 16) > 0) {
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
            if (subscription.poll(assembler, 64) > 0) {
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
