package dev.kindling.spark.config;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Range;
import dev.kindling.core.config.Setting;
import dev.kindling.core.config.Settings;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * Where training runs and how its workers share work: {@code --dist}, {@code --encoding} and the
 * keys of each engine, the Aeron transport and the watchdog.
 *
 * @param dist               shared | averaging | local
 * @param encoding           as given ({@link Encoding#AUTO} is resolved per architecture)
 * @param topkDensity        topk: fraction of the parameters each worker sends per step
 * @param wire               dense: the precision gradients are sent in
 * @param peerTimeout        dense, topk: how long a worker waits for a silent peer
 * @param threshold          threshold: initial threshold of DL4J's adaptive encoding
 * @param maxUpdateDensity   threshold: largest fraction of the parameters one update may carry
 * @param residualClip       threshold: residual clip as a multiple of the threshold; 0 never clips
 * @param averagingFrequency averaging: minibatches per worker between parameter averages
 * @param aeronPort          this JVM's Aeron UDP port
 * @param controller         the driver's Aeron address
 * @param networkMask        where executors pick their Aeron address
 * @param timeout            watchdog: longest a distributed epoch may run
 * @param transport          dense, topk: how the all-reduce moves bytes between workers
 * @param overlap            dense: all-reduce the gradient in buckets as backprop finishes them
 * @param bucketMb           dense, overlap: megabytes of fp32 gradient per bucket
 */
public record DistConfig(Dist dist, Encoding encoding, double topkDensity, Wire wire, Duration peerTimeout, double threshold,
                         double maxUpdateDensity, double residualClip, int averagingFrequency, int aeronPort, String controller,
                         String networkMask, Duration timeout, Transport transport, boolean hostIpc, boolean overlap, double bucketMb) implements Serializable {
    public static final Setting<Dist> DIST = Setting.choice("dist", Dist.SHARED, Dist.class,
            "shared (replicas on the Spark executors share every step, --encoding) | averaging (legacy: DL4J's parameter averaging) | local (one JVM, no Spark)");
    public static final Setting<Encoding> ENCODING = Setting.choice("encoding", Encoding.AUTO, Encoding.class,
            "shared: how the workers share: auto (dense, for every architecture) | dense (Kindling's all-reduce over Aeron: fp32 gradients summed before one optimizer step, exactly a step on all workers' minibatches together) | topk (Kindling's sparse step sharing: each replica steps on its own minibatch and sends the --topk-density largest entries of its step plus what it has not sent yet; all move by the sum) | threshold (legacy: DL4J's SharedTrainingMaster, each replica's update sent as sparse +-threshold steps; 30-130x fewer bytes, less learned per step, docs/distributed.md)");
    public static final Setting<Double> TOPK_DENSITY = Setting.real("topk-density", "0.004", Range.openClosed(0, 1),
            "shared, topk: fraction of the parameters each worker sends per step (8 bytes each: 0.004 is about 120x fewer bytes than dense fp32; small models need more, e.g. 0.05 for the 11k-parameter seed MLP)");
    public static final Setting<Wire> WIRE = Setting.choice("wire", Wire.FP32, Wire.class,
            "dense all-reduce: fp32 | bf16 | fp16, the precision gradients cross the network in (summed in fp32; bf16 and fp16 halve the bytes)");
    public static final Setting<Integer> PEER_TIMEOUT_SECONDS = Setting.integer("peer-timeout-seconds", 120, Range.atLeast(1),
            "shared, dense and topk: a worker that hears nothing from a peer for this long (connecting or in a step) fails the epoch, naming the peer");
    public static final Setting<Double> THRESHOLD = Setting.real("threshold", "1e-3", Range.above(0),
            "shared, threshold: initial threshold of the adaptive gradient encoding");
    public static final Setting<Double> MAX_UPDATE_DENSITY = Setting.real("max-update-density", "1e-2", Range.openClosed(0, 1),
            "shared, threshold: largest fraction of the parameters one encoded update may carry (DL4J's maximum target sparsity): the adaptive threshold rises when more would be sent; higher learns more per step for dense updates such as Adam's, at more bytes");
    public static final Setting<Double> RESIDUAL_CLIP = Setting.real("residual-clip", "5", Range.atLeast(0),
            "shared, threshold: every 5 steps the encoding's residual (update not yet sent) is clipped to this multiple of the threshold (0, or >= 1; DL4J's default 5); 0 never clips: no update mass is dropped");
    public static final Setting<Integer> AVERAGING_FREQUENCY = Setting.integer("averaging-frequency", 5, Range.atLeast(1),
            "averaging: minibatches per worker between parameter averages");
    public static final Setting<Integer> AERON_PORT = Setting.integer("aeron-port", 40123, Range.closed(1024, 65535),
            "shared: UDP port of this JVM's Aeron transport; executors on one host need distinct ports");
    public static final Setting<String> CONTROLLER = Setting.string("controller", "127.0.0.1",
            "shared: address of the driver's Aeron controller, reachable from every executor");
    public static final Setting<String> NETWORK_MASK = Setting.string("network-mask", "127.0.0.0/8",
            "shared: network mask executors use to pick their Aeron address");
    public static final Setting<Double> TIMEOUT_MINUTES = Setting.real("timeout-minutes", "30", Range.openClosed(0, 1e6),
            "watchdog: fail a distributed training epoch that runs longer than this many minutes (fractions allowed)");
    public static final Setting<Transport> TRANSPORT = Setting.choice("transport", Transport.AUTO, Transport.class,
            "shared, dense and topk: auto (memory when every worker is a thread of one JVM, as on local[N]; for dense: halving from 4 executors, hierarchical when fewer run several workers each; else Aeron UDP all-to-all) | aeron (all-to-all) | memory (the workers must share one JVM) | hierarchical (dense: memory within each executor, Aeron among one worker per executor) | halving (dense: recursive halving and doubling over Aeron, log2 N peers per worker instead of N - 1; among one worker per executor when executors run several)");
    public static final Setting<Boolean> HOST_IPC = Setting.flag("host-ipc", true,
            "shared, Aeron transports: executors on one host exchange over Aeron IPC (shared memory) through a media driver they share, the first to start runs it; UDP only between hosts. false: UDP between every pair of executor JVMs (each its own driver)");
    public static final Setting<Boolean> OVERLAP = Setting.flag("overlap", false,
            "shared, dense: all-reduce the gradient in buckets (--bucket-mb), each as soon as backprop has finished it, while backprop goes on (PyTorch DDP's overlap); the same bits as without; it pays where the network, not the CPU, is the wait (docs/distributed.md)");
    public static final Setting<Double> BUCKET_MB = Setting.real("bucket-mb", "4", Range.openClosed(0, 1024),
            "shared, dense, --overlap: megabytes of fp32 gradient per bucket (closed at a layer boundary; a larger layer is one bucket)");

    public static final List<Setting<?>> SETTINGS = List.of(DIST, ENCODING, TOPK_DENSITY, WIRE, PEER_TIMEOUT_SECONDS, THRESHOLD,
            MAX_UPDATE_DENSITY, RESIDUAL_CLIP, AVERAGING_FREQUENCY, AERON_PORT, CONTROLLER, NETWORK_MASK, TIMEOUT_MINUTES, TRANSPORT,
            HOST_IPC, OVERLAP, BUCKET_MB);

    public DistConfig {
        if ((transport == Transport.HIERARCHICAL || transport == Transport.HALVING) && encoding == Encoding.TOPK) {
            throw new ConfigException("transport=" + transport.name().toLowerCase(java.util.Locale.ROOT)
                    + " sums dense gradients; with encoding=topk use --transport=auto or aeron");
        }
        if (residualClip > 0 && residualClip < 1) {
            throw new ConfigException("residual-clip=" + residualClip + ": must be 0 or >= 1; " + RESIDUAL_CLIP.doc());
        }
    }

    public static DistConfig from(Settings s) {
        return new DistConfig(s.require(DIST), s.require(ENCODING), s.require(TOPK_DENSITY), s.require(WIRE),
                Duration.ofSeconds(s.require(PEER_TIMEOUT_SECONDS)), s.require(THRESHOLD), s.require(MAX_UPDATE_DENSITY),
                s.require(RESIDUAL_CLIP), s.require(AVERAGING_FREQUENCY), s.require(AERON_PORT), s.require(CONTROLLER),
                s.require(NETWORK_MASK), Duration.ofMillis(Math.round(60_000 * s.require(TIMEOUT_MINUTES))), s.require(TRANSPORT),
                s.require(HOST_IPC), s.require(OVERLAP), s.require(BUCKET_MB));
    }

    /** {@link #bucketMb} in fp32 floats, at least one. */
    public long bucketFloats() {
        return Math.max(1, Math.round(bucketMb * (1 << 20) / 4));
    }
}
