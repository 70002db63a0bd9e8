package dev.kindling.spark.bench;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.SettingsLoader;
import dev.kindling.core.data.ShardCache;
import dev.kindling.core.data.ShardDecoder;
import dev.kindling.core.data.Shards;
import dev.kindling.core.metrics.MetricsJson;
import dev.kindling.core.model.Gpt;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import dev.kindling.core.text.CachedGptDecoder;
import dev.kindling.core.text.Sampler;
import dev.kindling.core.train.LocalTrainer;
import dev.kindling.core.train.Progress;
import dev.kindling.core.train.StepTelemetry;
import dev.kindling.spark.allreduce.AeronAllReduce;
import dev.kindling.spark.allreduce.AeronHost;
import dev.kindling.spark.allreduce.AllReduce;
import dev.kindling.spark.allreduce.HierarchicalAllReduce;
import dev.kindling.spark.allreduce.HalvingAllReduce;
import dev.kindling.spark.allreduce.InMemoryAllReduce;
import dev.kindling.spark.allreduce.Placement;
import dev.kindling.spark.allreduce.Rendezvous;
import dev.kindling.spark.allreduce.RunToken;
import dev.kindling.spark.config.DistConfig;
import dev.kindling.spark.config.RunConfig;
import dev.kindling.spark.config.TrainConfig;
import dev.kindling.spark.config.Wire;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.job.TrainingPlan;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Java side of {@code scripts/bench/run.sh}; not a user command and not a test (speed claims are
 * measured here, never asserted in tests). Each mode prints one JSON line on stdout:
 * <ul>
 *   <li>{@code steps --model=.. --data=.. [train keys] --warmup=W [--settle-jit=true] [--mlp-form=layers|samediff-layer-norm] --steps=S}: Kindling's own local
 *   training loop ({@link LocalTrainer} on the graph and listeners {@code train} builds, reading its
 *   shards through {@link Shards#load} and {@link ShardCache}, as {@code train --dist=local}; {@code --data-cache-mb=0}
 *   reads every shard at every step) for W steps (and on until the JIT has settled), then S timed
 *   steps; steps/s, steps per CPU-second and counted FLOPs.</li>
 *   <li>{@code matmul --sizes=1024,2048 --reps=3}: fp32 {@code mmul} GFLOP/s through ND4J, the
 *   machine's peak on this JVM's threads ({@code OMP_NUM_THREADS}).</li>
 *   <li>{@code decode --data=.. --shards=N --reps=R}: DL4J's {@code DataSet.load} against
 *   {@link ShardDecoder} on the same shard bytes, alternating; rows/s of each.</li>
 *   <li>{@code allreduce --floats=N --workers=W --warmup=C --calls=C --transport=aeron|memory|hierarchical|halving --jvms=G
 *   --wire=fp32|bf16|fp16 --ipc=false}: {@link AeronAllReduce} (or {@link InMemoryAllReduce}, or {@link HierarchicalAllReduce} with the
 *   W threads as G simulated JVMs) of an N-float vector among W threads of this JVM over Aeron UDP loopback (with
 *   {@code --ipc=true}: over Aeron IPC through a shared media driver, {@link AeronHost#sharing}); ms per call
 *   (the dense encoding's communication per step, without the compute it overlaps nothing with).</li>
 *   <li>{@code generate --vocab=V --width=C --heads=H --layers=L --ff-width=F --context=P --dropout=D --seq-len=S
 *   --prompt=N --new-tokens=M --batch=B --temperature=X --top-k=K --warmup=W --min-seconds=T}: {@link Sampler} on a
 *   randomly initialised {@link Gpt} (sampling speed does not depend on the weights): B random prompts of N
 *   tokens, M new tokens each, the context cropped to S tokens, through the key/value cache ({@code cached},
 *   what {@code generate} runs) and, for one prompt, through the whole window per token ({@code full_window}); each repeated for
 *   T seconds (a burst) after W bursts and on until the JIT settles; new tokens per second.</li>
 * </ul>
 */
public final class StepBench {

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            throw new ConfigException("usage: StepBench steps|matmul|decode|allreduce|generate [--key=value ...]");
        }
        Map<String, String> flags = flags(args, 1);
        Map<String, Object> out;
        try {
            out = switch (args[0]) {
                case "steps" -> steps(flags);
                case "matmul" -> matmul(flags);
                case "decode" -> decode(flags);
                case "allreduce" -> allReduce(flags);
                case "generate" -> generate(flags);
                default -> throw new ConfigException("mode=" + args[0] + ": expected steps, matmul, decode, allreduce or generate");
            };
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1); // as below: a failed worker thread's pool and Aeron's threads would keep the JVM alive
            return;
        }
        out.put("threads", Nd4j.getEnvironment().maxThreads());
        out.put("omp_num_threads", System.getenv().getOrDefault("OMP_NUM_THREADS", "unset"));
        System.out.println(MetricsJson.line(out));
        System.exit(0); // ND4J's and Spark's non-daemon threads would keep the JVM alive
    }

    /** The bench programs' {@code --key=value} arguments from {@code args[from]} on, in order. */
    static Map<String, String> flags(String[] args, int from) {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = from; i < args.length; i++) {
            String a = args[i];
            int eq = a.indexOf('=');
            if (!a.startsWith("--") || eq < 0) {
                throw new ConfigException("argument=" + a + ": expected --key=value");
            }
            flags.put(a.substring(2, eq), a.substring(eq + 1));
        }
        return flags;
    }

    private static int take(Map<String, String> flags, String key, int fallback) {
        String v = flags.remove(key);
        return v == null ? fallback : Integer.parseInt(v);
    }

    private static String take(Map<String, String> flags, String key, String fallback) {
        String v = flags.remove(key);
        return v == null ? fallback : v;
    }

    private static double take(Map<String, String> flags, String key, double fallback) {
        String v = flags.remove(key);
        return v == null ? fallback : Double.parseDouble(v);
    }

    static Map<String, Object> allReduce(Map<String, String> flags) throws Exception {
        int floats = take(flags, "floats", 4_882_688);
        int workers = take(flags, "workers", 2);
        int warmup = take(flags, "warmup", 3);
        int calls = take(flags, "calls", 20);
        String transport = take(flags, "transport", "aeron");
        if (!List.of("aeron", "memory", "hierarchical", "halving").contains(transport)) {
            throw new IllegalArgumentException("--transport=" + transport + ": aeron, memory, hierarchical or halving");
        }
        // hierarchical: the workers as threads of --jvms simulated JVMs, consecutive ranks in each (memory within, Aeron among leaders)
        int jvms = take(flags, "jvms", 1);
        if (jvms < 1 || workers % jvms != 0) {
            throw new IllegalArgumentException("--jvms=" + jvms + ": must divide --workers=" + workers);
        }
        String[] jvmOf = new String[workers];
        for (int r = 0; r < workers; r++) {
            jvmOf[r] = "jvm-" + r / (workers / jvms);
        }
        Placement placement = Placement.of(jvmOf);
        Wire wire = Wire.valueOf(take(flags, "wire", "fp32").toUpperCase(java.util.Locale.ROOT));
        String group = "bench-" + System.nanoTime();
        AeronHost host = Boolean.parseBoolean(take(flags, "ipc", "false")) ? AeronHost.sharing("127.0.0.1", group) : AeronHost.udp("127.0.0.1");
        Rendezvous.InProcess exchange = new Rendezvous.InProcess(workers);
        RunToken token = RunToken.random();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(workers);
        List<java.util.concurrent.Future<double[]>> results = new ArrayList<>();
        for (int rank = 0; rank < workers; rank++) {
            int r = rank;
            results.add(pool.submit(() -> {
                INDArray base = Nd4j.rand(DataType.FLOAT, floats);
                INDArray v = base.dup();
                java.time.Duration stall = java.time.Duration.ofSeconds(60);
                try (AllReduce ar = switch (transport) {
                    case "memory" -> InMemoryAllReduce.open(group, r, workers, floats, stall, () -> false);
                    case "hierarchical" -> HierarchicalAllReduce.open(r, placement, floats, host, exchange.as(r), group, token, stall, () -> false,
                            false);
                    case "halving" -> HalvingAllReduce.forPlacement(r, placement, floats, host, exchange.as(r), group, token, stall, () -> false);
                    default -> AeronAllReduce.open(r, workers, floats, host, exchange.as(r), token, stall, () -> false);
                }) {
                    long nanos = 0;
                    long bytes0 = 0;
                    for (int i = 0; i < warmup + calls; i++) {
                        v.assign(base); // sums grow by the worker count each call (fp16 would overflow): start each from the same values
                        if (i == warmup) {
                            bytes0 = ar.bytesSent();
                        }
                        long t0 = System.nanoTime();
                        ar.reduce(v, 1, 0, wire);
                        if (i >= warmup) {
                            nanos += System.nanoTime() - t0;
                        }
                    }
                    return new double[] {nanos / 1e9, ar.bytesSent() - bytes0};
                }
            }));
        }
        double seconds = 0;
        double bytes = 0;
        for (java.util.concurrent.Future<double[]> f : results) {
            double[] r = f.get();
            seconds = Math.max(seconds, r[0]);
            bytes += r[1];
        }
        pool.shutdownNow();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("floats", floats);
        out.put("workers", workers);
        out.put("transport", transport + (host.ipcScope() != null ? "+ipc" : ""));
        out.put("jvms", placement.groupCount());
        out.put("wire", wire.name().toLowerCase(java.util.Locale.ROOT));
        out.put("calls", calls);
        out.put("ms_per_call", 1000 * seconds / calls);
        out.put("mb_per_s_per_worker", bytes / workers / seconds / 1e6);
        return out;
    }

    static Map<String, Object> steps(Map<String, String> flags) throws Exception {
        long baselineRss = ProcessMemory.residentBytes(); // the JVM and ND4J's libraries, before a model or data
        int warmup = take(flags, "warmup", 50);
        int steps = take(flags, "steps", 200);
        boolean settle = Boolean.parseBoolean(flags.remove("settle-jit"));
        // --mlp-form=layers|samediff-layer-norm: the mlp's hidden layers as before MlpTrunk (or before DenseLayerNorm too)
        String mlpForm = flags.remove("mlp-form");
        HadoopStorage storage = new HadoopStorage();
        java.nio.file.Path tmp = Files.createTempDirectory("kindling-bench");
        flags.put(RunConfig.OUT.name(), tmp.resolve("run").toString());
        flags.put(DistConfig.DIST.name(), "local");
        TrainConfig c = TrainConfig.from(new SettingsLoader(TrainConfig.SETTINGS).apply(flags, "on the bench command line").load());
        TrainingPlan p = TrainingPlan.of(c, storage);
        long seed = c.run().seed();
        var graph = p.graph();
        if (mlpForm != null) { // the before of a change to the mlp, same function and parameters
            var m = p.manifest();
            graph = dev.kindling.core.model.Mlp.configure(new dev.kindling.core.model.Mlp.Spec(m.featureWidth(),
                    c.model().hidden(), m.numClasses(), dev.kindling.core.model.Head.forClasses(m.numClasses(), m.binary()), c.model().dropout()),
                    dev.kindling.core.optim.NetDefaults.adamW(seed, DataType.FLOAT, c.schedule().cosine(), c.optim().weightDecay()),
                    mlpForm(mlpForm));
        }
        ComputationGraph net = new ComputationGraph(graph);
        net.init();
        List<String> train = Shards.paths(storage, p.data(), p.manifest(), "train", null);
        // the shards as `train --dist=local` reads them: kept decoded in memory up to --data-cache-mb (0: read from
        // storage, the OS cache, and decoded inside the loop at every step)
        Function<String, DataSet> loader = new ShardCache(path -> Shards.load(storage, path), c.run().dataCacheBytes());
        long flops = flopsPerStep(net, loader.apply(train.get(0)));
        int warmed = warmUp((from, n) -> new LocalTrainer(net, cycle(train, from, n), List.of(), loader, p.manifest(), seed,
                new Progress(1, 3600), p.listeners(StepTelemetry.forRun())).fit(0, 0, k -> { }), warmup, settle);
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        LocalTrainer timedTrainer = new LocalTrainer(net, cycle(train, warmed, steps), List.of(), loader,
                p.manifest(), seed, new Progress(1, 3600), p.listeners(StepTelemetry.forRun()));
        long jit0 = jit.getTotalCompilationTime();
        long t0 = System.nanoTime();
        long cpu0 = processCpuNanos();
        var fit = timedTrainer.fit(1, 0, n -> { });
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpuSeconds = (processCpuNanos() - cpu0) / 1e9;
        long jitMs = jit.getTotalCompilationTime() - jit0;
        StepTelemetry.drain();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", "steps");
        m.put("model", p.arch().cliName() + (mlpForm == null ? "" : " (" + mlpForm + ")"));
        m.put("params", net.numParams());
        m.put("batch", p.manifest().batchSize());
        m.put("warmup_steps", warmed);
        m.put("steps", fit.steps());
        m.put("samples", fit.samples());
        m.put("jit_ms", jitMs); // compilation during the timed steps (all compiler threads)
        m.put("seconds", seconds);
        m.put("cpu_seconds", cpuSeconds);
        m.put("steps_per_s", fit.steps() / seconds);
        m.put("steps_per_cpu_s", fit.steps() / cpuSeconds);
        m.put("samples_per_s", fit.samples() / seconds);
        m.put("flops_per_step", flops);
        m.put("gflops", flops * (fit.steps() / seconds) / 1e9);
        m.put("final_train_loss", fit.trainLoss());
        m.putAll(ProcessMemory.peaks(baselineRss));
        return m;
    }

    /** {@code --mlp-form}'s value: layers or samediff-layer-norm ({@link dev.kindling.core.model.Mlp.Form}, the trunk's befores). */
    private static dev.kindling.core.model.Mlp.Form mlpForm(String value) {
        for (var f : dev.kindling.core.model.Mlp.Form.values()) {
            if (f != dev.kindling.core.model.Mlp.Form.TRUNK && f.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-').equals(value)) {
                return f;
            }
        }
        throw new ConfigException("--mlp-form=" + value + ": layers or samediff-layer-norm (without it: the trunk, what train builds)");
    }

    static Map<String, Object> generate(Map<String, String> flags) throws Exception {
        Gpt.Spec spec = new Gpt.Spec(take(flags, "vocab", 73), take(flags, "context", 512), take(flags, "layers", 4),
                take(flags, "heads", 4), take(flags, "width", 128), take(flags, "ff-width", 512), take(flags, "dropout", 0.1));
        int seqLen = take(flags, "seq-len", 64);
        int promptLength = take(flags, "prompt", 16);
        int newTokens = take(flags, "new-tokens", 120);
        int batch = take(flags, "batch", 1);
        int topK = take(flags, "top-k", 10);
        int warmup = take(flags, "warmup", 2);
        double temperature = take(flags, "temperature", 1.0);
        double minSeconds = take(flags, "min-seconds", 1.0);
        if (!flags.isEmpty()) {
            throw new ConfigException("generate: unknown keys " + flags.keySet());
        }
        ComputationGraph net = new ComputationGraph(Gpt.configure(spec, seqLen, batch,
                NetDefaults.adamW(42, DataType.FLOAT, CosineAnnealing.tutorial(), 0.1)));
        net.init();
        Random rng = new Random(42);
        int[][] prompts = new int[batch][];
        long[] seeds = new long[batch];
        for (int r = 0; r < batch; r++) {
            prompts[r] = rng.ints(promptLength, 0, spec.vocabSize()).toArray(); // any ids: the work does not depend on them
            seeds[r] = r;
        }
        // a fresh decoder per call, as Sampler.generate(net, ...) makes one for `generate`'s single prompt
        Runnable cached = () -> Sampler.generate(CachedGptDecoder.of(net), prompts, newTokens, seqLen, temperature, topK, seeds);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", "generate");
        m.put("params", net.numParams());
        m.put("batch", batch);
        m.put("new_tokens", newTokens);
        m.put("cached", timedGenerations(cached, (long) batch * newTokens, warmup, minSeconds));
        if (batch == 1) { // the full-window path takes one prompt: B prompts one after another run at its one-prompt rate
            m.put("full_window", timedGenerations(() -> Sampler.generateFullWindow(net, prompts[0], newTokens, seqLen, temperature, topK,
                    seeds[0]), newTokens, warmup, minSeconds));
        }
        return m;
    }

    /**
     * {@code generation} warmed up, then timed over one burst ({@link #burst}): warm-up is {@code warmup}
     * bursts and on until the JIT settles ({@link #warmUp}), in bursts because a generation of a few dozen
     * cached tokens takes under 0.1 s, too short a round for the settling test.
     *
     * @param tokens new tokens one call samples
     */
    private static Map<String, Object> timedGenerations(Runnable generation, long tokens, int warmup, double minSeconds)
            throws Exception {
        int warmed = warmUp((from, n) -> {
            for (int i = 0; i < n; i++) {
                burst(generation, minSeconds);
            }
        }, warmup, true);
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long jit0 = jit.getTotalCompilationTime();
        long t0 = System.nanoTime();
        long cpu0 = processCpuNanos();
        int calls = burst(generation, minSeconds);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpuSeconds = (processCpuNanos() - cpu0) / 1e9;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("warmup_bursts", warmed);
        m.put("calls", calls);
        m.put("jit_ms", jit.getTotalCompilationTime() - jit0); // compilation during the timed burst
        m.put("seconds", seconds);
        m.put("cpu_seconds", cpuSeconds);
        m.put("tokens_per_s", calls * tokens / seconds);
        m.put("tokens_per_cpu_s", calls * tokens / cpuSeconds);
        return m;
    }

    /** Calls {@code generation} until {@code minSeconds} have passed, at least once: short generations repeated for a readable time. */
    private static int burst(Runnable generation, double minSeconds) {
        long t0 = System.nanoTime();
        int calls = 0;
        do {
            generation.run();
            calls++;
        } while (System.nanoTime() - t0 < minSeconds * 1e9);
        return calls;
    }

    /** {@code n} units of warm-up work (training steps, bursts of generations), the first of them number {@code from}. */
    @FunctionalInterface
    interface WarmUpRound {
        void run(int from, int n) throws Exception;
    }

    /**
     * Runs {@code warmup} units; with {@code settle}, then rounds of warmup/4 units (at least 1) until the JIT
     * has settled: {@link #QUIET_ROUNDS} rounds in a row (each of whole chunks, at least {@link #QUIET_ROUND_SECONDS})
     * in which compilation took under 5% of their wall time,
     * at most {@link #SETTLE_UNITS} x warmup units or {@link #SETTLE_SECONDS} of warm-up. After 1,000 Fashion MLP
     * steps the C2 threads still compile DL4J's code for seconds and their CPU time counted against the timed
     * steps (161 steps/CPU-s timed after 1,000 warm-up steps, 240 after 3,000; wall 295 -> 313). The seed MLP
     * (2026-12-05) compiled for ~12 s of training: with the former cap of 3 x warmup its 20,000 timed steps
     * still held 2.4-3.7 s of compilation. C2 trickles on at a few percent for long after: the modes report
     * what fell into the timed part ({@code jit_ms}).
     *
     * @return the units run
     */
    static int warmUp(WarmUpRound round, int warmup, boolean settle) throws Exception {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        int chunk = Math.max(1, warmup / 4);
        int warmed = 0, quiet = 0;
        long start = System.nanoTime();
        for (int n = warmup; n > 0; n = chunk) {
            long jit0 = jit.getTotalCompilationTime();
            long w0 = System.nanoTime();
            do {   // a settling round lasts a while: C2 compiles in bursts that one short GPT step can fall between
                round.run(warmed, n);
                warmed += n;
            } while (warmed > warmup && System.nanoTime() - w0 < QUIET_ROUND_SECONDS * 1e9);
            double compiledMs = jit.getTotalCompilationTime() - jit0;
            quiet = compiledMs < 0.05 * (System.nanoTime() - w0) / 1e6 ? quiet + 1 : 0;
            boolean settled = warmed > warmup && quiet >= QUIET_ROUNDS;
            boolean capped = warmed >= SETTLE_UNITS * warmup || System.nanoTime() - start > SETTLE_SECONDS * 1e9;
            if (!settle || settled || capped) {
                break;
            }
        }
        return warmed;
    }

    /** Warm-up rounds in a row with little compilation that count as settled. */
    static final int QUIET_ROUNDS = 2;
    /**
     * The least wall time of a settling round. With rounds of one seed-GPT step (~1 s) two quiet ones came between
     * C2's bursts: warm-up ended after 9-10 steps and 1.5-3.4 s of compilation fell into 16 timed steps (2026-12-05).
     */
    static final double QUIET_ROUND_SECONDS = 3;
    /** The most warm-up {@link #warmUp} runs while the JIT compiles: units (times the asked warm-up), seconds. */
    static final int SETTLE_UNITS = 20, SETTLE_SECONDS = 60;

    /**
     * CPU time of this whole JVM (every thread: ND4J, GC, JIT). On a shared machine wall time depends on
     * what else runs; CPU time per step much less so.
     */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** {@code n} shard paths starting at {@code from}, wrapping around the split. */
    private static List<String> cycle(List<String> paths, int from, int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(paths.get((from + i) % paths.size()));
        }
        return out;
    }

    /**
     * Counted FLOPs of one training step on a full minibatch: every matrix-shaped weight (DL4J's
     * {@code W}, {@code RW}, or any parameter with no dimension of 1; biases and LayerNorm gains are
     * left out) is used in three matmuls (forward, input gradient, weight gradient) of 2 FLOPs per
     * multiply-add, once per example and output position (time steps, pixels):
     * {@code 6 x batch x sum(weights x positions)}. For a transformer this is the usual
     * 6 x parameters x tokens; attention's T^2 terms and elementwise work are not counted.
     */
    static long flopsPerStep(ComputationGraph net, DataSet example) {
        Map<String, INDArray> acts = net.feedForward(new INDArray[] {example.getFeatures()}, false);
        long batch = example.getFeatures().size(0);
        long perExample = 0;
        for (Layer layer : net.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            INDArray act = acts.get(name);
            long positions = 1;
            if (act != null) {
                for (int d = 2; d < act.rank(); d++) {
                    positions *= act.size(d);
                }
            }
            for (Map.Entry<String, INDArray> e : layer.paramTable().entrySet()) {
                long[] shape = e.getValue().shape();
                boolean matrix = e.getKey().equals("W") || e.getKey().equals("RW")
                        || (!e.getKey().startsWith("b") && shape.length >= 2 && java.util.Arrays.stream(shape).allMatch(s -> s > 1));
                if (matrix) {
                    perExample += e.getValue().length() * positions;
                }
            }
        }
        return 6 * batch * perExample;
    }

    static Map<String, Object> matmul(Map<String, String> flags) {
        int reps = take(flags, "reps", 3);
        String sizes = flags.getOrDefault("sizes", "1024,2048");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", "matmul");
        double peak = 0;
        double cpuPeak = 0; // GFLOP per CPU-second of the process: per core, whatever else runs
        for (String s : sizes.split(",")) {
            int n = Integer.parseInt(s.trim());
            INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
            INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
            INDArray c = Nd4j.create(DataType.FLOAT, n, n);
            a.mmuli(b, c); // warm-up
            int iters = Math.max(1, (int) (4e9 / (2.0 * n * n * n))); // ~4 GFLOP per repetition
            List<Double> g = new ArrayList<>();
            List<Double> gCpu = new ArrayList<>();
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                long cpu0 = processCpuNanos();
                for (int i = 0; i < iters; i++) {
                    a.mmuli(b, c);
                }
                double t = (System.nanoTime() - t0) / 1e9 / iters;
                double cpu = (processCpuNanos() - cpu0) / 1e9 / iters;
                g.add(2.0 * n * n * n / t / 1e9);
                gCpu.add(2.0 * n * n * n / cpu / 1e9);
            }
            double med = median(g);
            m.put("gflops_n" + n, med);
            m.put("cpu_gflops_n" + n, median(gCpu));
            peak = Math.max(peak, med);
            cpuPeak = Math.max(cpuPeak, median(gCpu));
        }
        m.put("peak_gflops", peak);
        m.put("cpu_peak_gflops", cpuPeak);
        return m;
    }

    static Map<String, Object> decode(Map<String, String> flags) throws IOException {
        int shards = take(flags, "shards", 100);
        int reps = take(flags, "reps", 3);
        String data = flags.get("data");
        if (data == null) {
            throw new ConfigException("data: required (a prepared dataset)");
        }
        HadoopStorage storage = new HadoopStorage();
        String uri = storage.qualify(data);
        var manifest = Shards.manifest(storage, uri);
        List<byte[]> bytes = new ArrayList<>();
        long rows = 0;
        for (String path : cycle(Shards.paths(storage, uri, manifest, "train", null), 0, shards)) {
            byte[] b = storage.readAll(path);
            bytes.add(b);
            rows += ShardDecoder.decode(b).numExamples();
        }
        Map<String, List<Double>> rates = new HashMap<>();
        for (int r = 0; r <= reps; r++) { // repetition 0 warms both up and is not reported
            for (String which : List.of("dl4j", "kindling")) {
                long t0 = System.nanoTime();
                long n = 0;
                for (byte[] b : bytes) {
                    n += (which.equals("dl4j") ? ShardDecoder.dl4j(b) : ShardDecoder.decode(b)).numExamples();
                }
                double s = (System.nanoTime() - t0) / 1e9;
                if (r > 0) {
                    rates.computeIfAbsent(which, k -> new ArrayList<>()).add(n / s);
                }
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", "decode");
        m.put("shards", shards);
        m.put("rows", rows);
        m.put("bytes_per_shard", bytes.get(0).length);
        m.put("dl4j_rows_per_s", rates.get("dl4j"));
        m.put("kindling_rows_per_s", rates.get("kindling"));
        return m;
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(Double::compare);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private StepBench() {}
}
