package dev.kindling.spark.bench;

import dev.kindling.core.metrics.MetricsJson;
import dev.kindling.spark.allreduce.AeronAllReduce;
import dev.kindling.spark.allreduce.AeronHost;
import dev.kindling.spark.allreduce.AllReduce;
import dev.kindling.spark.allreduce.HalvingAllReduce;
import dev.kindling.spark.allreduce.HierarchicalAllReduce;
import dev.kindling.spark.allreduce.Placement;
import dev.kindling.spark.allreduce.RunToken;
import dev.kindling.spark.config.Wire;
import dev.kindling.spark.runtime.AeronDirectories;
import dev.kindling.spark.runtime.AeronTraffic;
import dev.kindling.spark.runtime.Preflight;
import java.io.File;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Kindling's Aeron all-reduce alone, among the executors of a real Spark cluster: one barrier task per
 * executor opens the engine's all-reduce on its executor's address, as a training epoch does, and runs
 * each case's calls back to back with no training between them (compute excluded: on one 2-core host
 * the compute of N workers would share two cores). {@code scripts/bench/scaling.sh} runs it with every
 * executor in its own network namespace behind a shaped link; a step's compute is measured apart.
 *
 * <p>Run with SparkSubmit: {@code --class dev.kindling.spark.bench.ScalingBench <jar> --workers=N
 * [--floats=4882688,25000000] [--wires=fp32,bf16] [--halving=true] [--topk-density=0.004] [--warmup=1] [--rewarm=1]
 * [--calls=5] [--slots=1] [--host-ipc=true] [--label=text]}: the dense cases over the all-to-all ({@code dense-fp32}) and, with {@code --halving},
 * recursive halving and doubling ({@code halving-fp32}). With {@code --slots=S > 1} (executors of S task slots, workers
 * = executors x S) the dense cases run as training does there: memory within each executor JVM, the leaders
 * all-to-all or halving ({@link HierarchicalAllReduce}); topk stays on Aeron among all workers. Prints one JSON line
 * per (vector length, case): the call's time (per call the slowest rank, then the median, fastest and slowest call),
 * bytes each worker sent per call, the barrier stage's launch and the all-reduce's connection time. Each case starts with
 * {@code --warmup} untimed calls on the first vector and {@code --rewarm} (default: as many) on the later ones, whose
 * code the first vector's calls have already compiled: one call pages in their new all-reduce's buffers.
 */
public final class ScalingBench {

    /**
     * How a case moves the vector: the dense all-reduce in a wire precision, or top-k pairs (density > 0); all-to-all
     * ({@link AeronAllReduce}) or by halving ({@link HalvingAllReduce}).
     */
    record Case(String name, Wire wire, double density, boolean halving) implements Serializable {}

    /** What one rank measured (plain fields: Spark's Kryo cannot build records). */
    static final class RankResult implements Serializable {
        private static final long serialVersionUID = 1L;
        int rank;
        String host;
        long startedMillis;
        /** Per vector length and case: seconds to open its all-reduce (rendezvous and connect). */
        double[][] openSeconds;
        /** Per vector length and case: bytes of this JVM's Aeron log buffers while its all-reduce is open (they grow with the peers). */
        long[][] aeronLogBytes;
        /** Per vector length and case: each timed call's seconds. */
        double[][][] callSeconds;
        /** Per vector length and case: bytes sent over the timed calls. */
        long[][] bytes;
        /** Per vector length and case: what its all-reduce reported ("aeron", "halving+ipc", ...). */
        String[][] transport;
    }

    /** {@code slots}: task slots per executor, so the workers of one JVM (1: every worker in its own). */
    record Settings(int workers, long[] floats, List<Case> cases, int warmup, int rewarm, int calls, Duration stall, int slots, boolean hostIpc)
            implements Serializable {}

    public static void main(String[] args) {
        Map<String, String> flags = StepBench.flags(args, 0);
        String label = flags.getOrDefault("label", "");
        Settings s = settings(flags);
        try (SparkSession spark = SparkSession.builder().appName("kindling-scaling-bench").getOrCreate()) {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            // a barrier stage needs all its slots when it is submitted (else Spark re-checks every 15 s): wait for the executors
            int slots = Preflight.slots(sc, s.workers(), Duration.ofMinutes(3).toMillis());
            if (slots < s.workers()) {
                throw new IllegalStateException(s.workers() + " workers need as many task slots; the cluster has " + slots
                        + " after 3 minutes; check spark.cores.max and the workers' logs");
            }
            for (Map<String, Object> line : run(sc, s)) {
                line.put("label", label);
                System.out.println(MetricsJson.line(line));
            }
        }
        System.exit(0); // Spark's barrier coordinator leaves a non-daemon timer thread that would keep the JVM alive
    }

    static Settings settings(Map<String, String> flags) {
        Map<String, String> f = new LinkedHashMap<>(flags);
        f.remove("label");
        int workers = Integer.parseInt(require(f, "workers"));
        long[] floats = Arrays.stream(take(f, "floats", "4882688").split(",")).mapToLong(Long::parseLong).toArray();
        List<Case> cases = new ArrayList<>();
        String[] wires = take(f, "wires", "fp32,bf16").split(",");
        for (String w : wires) {
            Wire wire = Wire.valueOf(w.trim().toUpperCase(java.util.Locale.ROOT));
            cases.add(new Case("dense-" + wire.name().toLowerCase(java.util.Locale.ROOT), wire, 0, false));
        }
        double density = Double.parseDouble(take(f, "topk-density", "0.004"));
        if (density > 0) {
            cases.add(new Case("topk", Wire.FP32, density, false));
        }
        if (Boolean.parseBoolean(take(f, "halving", "false"))) {
            for (String w : wires) {
                Wire wire = Wire.valueOf(w.trim().toUpperCase(java.util.Locale.ROOT));
                cases.add(new Case("halving-" + wire.name().toLowerCase(java.util.Locale.ROOT), wire, 0, true));
            }
        }
        int warmup = Integer.parseInt(take(f, "warmup", "1"));
        int rewarm = Integer.parseInt(take(f, "rewarm", String.valueOf(warmup)));
        int calls = Integer.parseInt(take(f, "calls", "5"));
        Duration stall = Duration.ofSeconds(Long.parseLong(take(f, "stall-seconds", "120")));
        int slots = Integer.parseInt(take(f, "slots", "1"));
        boolean hostIpc = Boolean.parseBoolean(take(f, "host-ipc", "true"));
        if (!f.isEmpty()) {
            throw new IllegalArgumentException("unknown keys " + f.keySet()
                    + "; known: workers, floats, wires, halving, topk-density, warmup, rewarm, calls, stall-seconds, slots, host-ipc, label");
        }
        return new Settings(workers, floats, cases, warmup, rewarm, calls, stall, slots, hostIpc);
    }

    private static String require(Map<String, String> f, String key) {
        String v = f.remove(key);
        if (v == null) {
            throw new IllegalArgumentException("--" + key + " is required");
        }
        return v;
    }

    private static String take(Map<String, String> f, String key, String fallback) {
        String v = f.remove(key);
        return v == null ? fallback : v;
    }

    /** Runs every case on {@code s.workers()} barrier tasks; one result map per (vector length, case), in order. */
    static List<Map<String, Object>> run(JavaSparkContext sc, Settings s) {
        RunToken token = RunToken.random();
        List<Integer> ranks = new ArrayList<>();
        for (int r = 0; r < s.workers(); r++) {
            ranks.add(r);
        }
        long submitted = System.currentTimeMillis();
        List<RankResult> results = sc.parallelize(ranks, s.workers()).rdd().barrier()
                .mapPartitions(new RankRun(s, token), false, scala.reflect.ClassTag$.MODULE$.apply(RankResult.class))
                .toJavaRDD().collect();
        List<RankResult> byRank = new ArrayList<>(results);
        byRank.sort(java.util.Comparator.comparingInt(r -> r.rank));
        long launched = byRank.stream().mapToLong(r -> r.startedMillis).max().orElse(submitted);
        List<Map<String, Object>> out = new ArrayList<>();
        for (int p = 0; p < s.floats().length; p++) {
            int pp = p;
            for (int c = 0; c < s.cases().size(); c++) {
                int cc = c;
                double[] slowest = new double[s.calls()];
                for (int call = 0; call < s.calls(); call++) {
                    int k = call;
                    slowest[call] = byRank.stream().mapToDouble(r -> r.callSeconds[pp][cc][k]).max().orElse(0);
                }
                double[] sorted = slowest.clone();
                Arrays.sort(sorted);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("workers", s.workers());
                m.put("slots", s.slots());
                m.put("floats", s.floats()[p]);
                m.put("case", s.cases().get(c).name());
                m.put("transport", byRank.get(0).transport[pp][cc]);
                m.put("ms_median", 1000 * sorted[sorted.length / 2]);
                m.put("ms_min", 1000 * sorted[0]);
                m.put("ms_max", 1000 * sorted[sorted.length - 1]);
                m.put("bytes_per_worker_call", byRank.stream().mapToLong(r -> r.bytes[pp][cc]).average().orElse(0) / s.calls());
                m.put("open_ms", 1000 * byRank.stream().mapToDouble(r -> r.openSeconds[pp][cc]).max().orElse(0));
                m.put("aeron_log_mb", byRank.stream().mapToLong(r -> r.aeronLogBytes[pp][cc]).max().orElse(0) / 1e6);
                m.put("launch_ms", launched - submitted);
                m.put("hosts", byRank.stream().map(r -> r.host).distinct().count());
                out.add(m);
            }
        }
        return out;
    }

    /** How a case's all-reduce moves the bytes, as training would for this placement. */
    enum Way { HALVING, HIERARCHICAL, FLAT }

    /** Halving for halving cases; dense cases among JVMs of several workers: hierarchical; else (topk, one worker a JVM) flat Aeron. */
    static Way way(Case kase, Placement placement) {
        return kase.halving() ? Way.HALVING : kase.density() == 0 && !placement.allAlone() ? Way.HIERARCHICAL : Way.FLAT;
    }

    /** One rank's part: every vector length, every case, warm-up then timed calls. */
    private static final class RankRun extends scala.runtime.AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<RankResult>>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Settings s;
        private final RunToken token;

        RankRun(Settings s, RunToken token) {
            this.s = s;
            this.token = token;
        }

        @Override
        public scala.collection.Iterator<RankResult> apply(scala.collection.Iterator<Integer> ignored) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            RankResult r = new RankResult();
            r.startedMillis = System.currentTimeMillis();
            r.rank = ctx.partitionId();
            r.host = SparkEnv.get().blockManager().blockManagerId().host();
            int n = s.floats().length;
            r.openSeconds = new double[n][s.cases().size()];
            r.callSeconds = new double[n][s.cases().size()][s.calls()];
            r.bytes = new long[n][s.cases().size()];
            r.transport = new String[n][s.cases().size()];
            r.aeronLogBytes = new long[n][s.cases().size()];
            // which workers share a JVM, its executor (and host) identifying it; with one slot per executor every worker is
            // taken as alone (local[N] runs all in the driver: the all-reduce among them is still Aeron's, as before --slots)
            String[] ids = new String[s.workers()];
            Arrays.setAll(ids, k -> "rank-" + k);
            Placement placement = Placement.of(s.slots() > 1 ? ctx.allGather(SparkEnv.get().executorId() + "@" + r.host) : ids);
            for (int p = 0; p < n; p++) {
                long floats = s.floats()[p];
                INDArray base = Nd4j.rand(DataType.FLOAT, floats);
                INDArray v = base.dup();
                // one all-reduce per way of moving the bytes, its cases back to back; halving first: its Aeron logs are counted
                // before the all-to-all's (closed logs linger a few seconds in the media driver)
                for (Way way : Way.values()) {
                    if (s.cases().stream().noneMatch(k -> way(k, placement) == way)) {
                        continue;
                    }
                    long t0 = System.nanoTime();
                    try (AllReduce ar = open(way, r, placement, floats, ctx, p)) {
                        double open = (System.nanoTime() - t0) / 1e9;
                        long logs = aeronLogBytes();
                        for (int c = 0; c < s.cases().size(); c++) {
                            Case kase = s.cases().get(c);
                            if (way(kase, placement) == way) {
                                r.openSeconds[p][c] = open;
                                r.aeronLogBytes[p][c] = logs;
                                r.transport[p][c] = ar.transport();
                                time(ar, kase, v, base, floats, r, p, c);
                            }
                        }
                    }
                }
            }
            return scala.collection.JavaConverters.asScalaIterator(List.of(r).iterator());
        }

        private AllReduce open(Way way, RankResult r, Placement placement, long floats, BarrierTaskContext ctx, int p) {
            String key = token.high() + ":" + token.low() + ":" + p + ":" + way;
            // as training does (--host-ipc): executors of one host (and network namespace) over IPC
            AeronHost host = AeronHost.ofExecutor(r.host, SparkEnv.get().conf(), s.hostIpc());
            return switch (way) {
                case HALVING -> HalvingAllReduce.forPlacement(r.rank, placement, floats, host, ctx::allGather, key, token, s.stall(),
                        ctx::isInterrupted);
                case HIERARCHICAL -> HierarchicalAllReduce.open(r.rank, placement, floats, host, ctx::allGather, key, token, s.stall(),
                        ctx::isInterrupted, false);
                case FLAT -> AeronAllReduce.open(r.rank, s.workers(), floats, host, ctx::allGather, token, s.stall(), ctx::isInterrupted);
            };
        }

        /** One case's warm-up then timed calls, into {@code r}'s {@code [p][c]}. */
        private void time(AllReduce ar, Case kase, INDArray v, INDArray base, long floats, RankResult r, int p, int c) {
            int[] index = kase.density() > 0 ? distinctIndices(floats, kase.density(), 17L * r.rank + p) : null;
            float[] value = index == null ? null : randomValues(index.length, 31L * r.rank + p);
            int warmup = p == 0 ? s.warmup() : s.rewarm();
            for (int call = 0; call < warmup + s.calls(); call++) {
                v.assign(base); // sums grow by the worker count each call: start each from the same values
                long bytes0 = ar.bytesSent();
                long c0 = System.nanoTime();
                if (index == null) {
                    ar.reduce(v, 1, 0, kase.wire());
                } else {
                    v.assign(0);
                    ar.reduceSparse(v, index, value, index.length, 1, 0);
                }
                int timed = call - warmup;
                if (timed >= 0) {
                    r.callSeconds[p][c][timed] = (System.nanoTime() - c0) / 1e9;
                    r.bytes[p][c] += ar.bytesSent() - bytes0;
                }
            }
        }
    }

    /** The files of this JVM's Aeron directories (publications' and images' log buffers, counters). */
    private static long aeronLogBytes() {
        String mine = AeronDirectories.PREFIX + ProcessHandle.current().pid() + "-";
        File[] dirs = AeronTraffic.SHM.listFiles((d, name) -> name.startsWith(mine));
        long total = 0;
        for (File dir : dirs == null ? new File[0] : dirs) {
            try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(dir.toPath())) {
                total += files.filter(java.nio.file.Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                return -1; // a file removed while walking: not worth failing the bench
            }
        }
        return total;
    }

    /** {@code density} of {@code length} positions, distinct, drawn from {@code seed}: a top-k selection's shape. */
    static int[] distinctIndices(long length, double density, long seed) {
        int count = (int) Math.max(1, Math.round(length * density));
        Random random = new Random(seed);
        java.util.BitSet taken = new java.util.BitSet((int) length);
        int[] index = new int[count];
        for (int i = 0; i < count; ) {
            int at = random.nextInt((int) length);
            if (!taken.get(at)) {
                taken.set(at);
                index[i++] = at;
            }
        }
        return index;
    }

    private static float[] randomValues(int count, long seed) {
        Random random = new Random(seed);
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = random.nextFloat() - 0.5f;
        }
        return v;
    }

    private ScalingBench() {}
}
