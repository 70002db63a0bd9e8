package dev.kindling.spark.runtime;

import dev.kindling.core.config.ConfigException;
import dev.kindling.spark.config.Dist;
import dev.kindling.spark.config.DistConfig;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.resource.ResourceProfile;
import org.nd4j.common.config.ND4JSystemProperties;

/**
 * Checks on the driver, before any training starts: for Kindling's all-reduce master, what makes
 * Spark refuse or stall a barrier stage (dynamic allocation); for DL4J's shared master (legacy), what
 * makes it hang or fail deep inside Aeron (a taken UDP port, too little shared memory for Aeron's term
 * buffers, a controller address executors cannot reach); for both, executors too small for the model.
 * Each failed check names the cause and the setting to change; all run in well under a second.
 */
public final class Preflight {
    /** DL4J's AeronUdpTransport sets this term length when the property is absent (32 MiB). */
    static final long DL4J_TERM_LENGTH = 1L << 25;
    static final Path SHM = Path.of("/dev/shm");

    /** @param ok whether it passed; @param detail what was measured, or the cause and the fix */
    public record Check(String name, boolean ok, String detail) {}

    /**
     * @param master         Spark master URL
     * @param executors      executor JVMs that will train (1 for local[N])
     * @param executorMemory bytes of heap per executor, 0 when unknown
     * @param params         the model's parameter count
     * @param shardBytes     decoded training shards each executor keeps ({@code TrainingPlan.executorShardBytes})
     * @param shmUsable      usable bytes of a directory (the real file system in production)
     * @param dynamicAllocation whether Spark's {@code spark.dynamicAllocation.enabled} is on
     */
    public static List<Check> run(DistConfig c, String master, int executors, long executorMemory, long params, long shardBytes,
                                  ToLongFunction<Path> shmUsable, boolean dynamicAllocation) {
        List<Check> checks = new ArrayList<>();
        boolean shared = c.dist() == Dist.SHARED;
        if (shared && c.encoding().resolve().kindlingMaster()) {
            checks.add(barrierMode(dynamicAllocation));
        } else if (shared) {
            checks.add(aeronPort(c));
            checks.add(sharedMemory(executors, master.startsWith("local"), shmUsable));
            checks.add(controller(c.controller(), master));
        }
        checks.add(memory(params, shardBytes, executorMemory, shared));
        return checks;
    }

    /** Runs the checks and throws a ConfigException listing every failed one. */
    public static void require(List<Check> checks) {
        List<String> failed = checks.stream().filter(k -> !k.ok()).map(k -> k.name() + ": " + k.detail()).toList();
        if (!failed.isEmpty()) {
            throw new ConfigException("preflight failed: " + String.join(" | ", failed));
        }
    }

    /**
     * The Spark-side checks, with the executor count and heap from the context's settings; for Kindling's
     * master also the task slots for {@code workers} barrier tasks, waiting for executors to register
     * up to Spark's {@code spark.scheduler.maxRegisteredResourcesWaitingTime}.
     */
    public static List<Check> sparkChecks(JavaSparkContext sc, DistConfig c, long params, long shardBytes, int workers) {
        boolean local = sc.master().startsWith("local");
        int executors = local ? 1 : Math.max(1, sc.defaultParallelism() / sc.getConf().getInt("spark.executor.cores", 1));
        long heap = local ? Runtime.getRuntime().maxMemory() : sc.getConf().getSizeAsBytes("spark.executor.memory", "1g");
        boolean dynamicAllocation = sc.getConf().getBoolean("spark.dynamicAllocation.enabled", false);
        List<Check> checks = run(c, sc.master(), executors, heap, params, shardBytes, Preflight::usableSpace, dynamicAllocation);
        if (c.dist() == Dist.SHARED && c.encoding().resolve().kindlingMaster() && !dynamicAllocation) {
            // a local master has all its slots at once; a cluster's executors may still be registering
            long waitMs = local ? 0 : sc.getConf().getTimeAsMs("spark.scheduler.maxRegisteredResourcesWaitingTime", "30s");
            checks.add(taskSlots(workers, slots(sc, workers, waitMs)));
        }
        return checks;
    }

    /** Task slots free for one stage at once (Spark's own count for barrier stages), once {@code wanted} or after {@code waitMs}. */
    public static int slots(JavaSparkContext sc, int wanted, long waitMs) {
        ResourceProfile profile = sc.sc().resourceProfileManager().defaultResourceProfile();
        long deadline = System.currentTimeMillis() + waitMs;
        int slots = sc.sc().maxNumConcurrentTasks(profile);
        while (slots < wanted && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            slots = sc.sc().maxNumConcurrentTasks(profile);
        }
        return slots;
    }

    /**
     * Kindling's master starts one barrier task per worker, all at once: with fewer task slots Spark
     * does not fail the stage, it re-checks every 15 s for 40 attempts (10 minutes) first.
     */
    static Check taskSlots(int workers, int slots) {
        String counts = workers + " workers (spark.default.parallelism or the cores registered) need " + workers
                + " task slots at once; the cluster has " + slots + " (executor cores / spark.task.cpus)";
        return slots >= workers
                ? new Check("task-slots", true, counts)
                : new Check("task-slots", false, counts + "; give the job more executors or cores (--num-executors, --executor-cores,"
                        + " --total-executor-cores), or set --conf spark.default.parallelism=" + Math.max(1, slots) + " to train on the slots it has");
    }

    /**
     * Kindling's master runs each epoch as one Spark barrier stage, which Spark refuses under dynamic
     * allocation (its workers must all hold a slot at once, for the whole stage).
     */
    static Check barrierMode(boolean dynamicAllocation) {
        return dynamicAllocation
                ? new Check("barrier-mode", false, "spark.dynamicAllocation.enabled=true: Spark runs no barrier stage (Kindling's all-reduce"
                        + " master) with dynamic allocation; pass --conf spark.dynamicAllocation.enabled=false and a fixed --num-executors")
                : new Check("barrier-mode", true, "static allocation: the barrier stage can hold every worker's slot");
    }

    static Check aeronPort(DistConfig c) {
        int port = c.aeronPort();
        try {
            checkUdpPortFree(c.controller(), port);
            return new Check("aeron-port", true, "UDP " + c.controller() + ":" + port + " free");
        } catch (ConfigException e) {
            return new Check("aeron-port", false, e.getMessage());
        }
    }

    /** Fails in milliseconds, naming the port, instead of deep inside Aeron's media driver. */
    public static void checkUdpPortFree(String host, int port) {
        try (DatagramSocket s = new DatagramSocket(null)) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
        } catch (IOException e) {
            throw new ConfigException("aeron-port=" + port + ": UDP port on " + host + " is in use or unbindable (" + e.getMessage()
                    + "); pass --aeron-port=<a free port> or stop the process holding it");
        }
    }

    /**
     * Each Aeron publication and image maps a log of 3 terms in /dev/shm. With n JVMs in the mesh,
     * each JVM on this host holds up to 2 (n - 1) of them.
     */
    static Check sharedMemory(int executors, boolean localMode, ToLongFunction<Path> usable) {
        long term = Long.getLong(ND4JSystemProperties.AERON_TERM_BUFFER_PROP, DL4J_TERM_LENGTH);
        int jvms = localMode ? 1 : executors + 1;
        long perLog = 3 * term;
        long needed = localMode ? perLog : (long) jvms * 2 * (jvms - 1) * perLog;
        long free = usable.applyAsLong(SHM);
        String sizes = "needs ~" + mib(needed) + " MiB for " + jvms + " JVM(s) with " + mib(term) + " MiB terms, " + SHM + " has " + mib(free) + " MiB free";
        return free >= needed
                ? new Check("shared-memory", true, sizes)
                : new Check("shared-memory", false, sizes + "; enlarge " + SHM + " (docker: --shm-size) or lower -D"
                        + ND4JSystemProperties.AERON_TERM_BUFFER_PROP + " (a power of two >= 65536) on every JVM");
    }

    /** Executors on other hosts cannot reach a loopback controller. */
    static Check controller(String controller, String master) {
        InetAddress address;
        try {
            address = InetAddress.getByName(controller);
        } catch (IOException e) {
            return new Check("controller", false, "controller=" + controller + ": does not resolve; set --controller to this driver's address");
        }
        boolean local;
        try {
            local = address.isLoopbackAddress() || NetworkInterface.getByInetAddress(address) != null;
        } catch (IOException e) {
            local = false;
        }
        if (!local) {
            return new Check("controller", false, "controller=" + controller + ": not an address of this driver; set --controller to an address of this host that executors can reach");
        }
        String masterHost = master.replaceFirst("^[a-z0-9]+://", "").replaceFirst("[:/].*$", "");
        boolean remoteExecutors = !master.startsWith("local") && !isLoopback(masterHost);
        if (address.isLoopbackAddress() && remoteExecutors) {
            return new Check("controller", false, "controller=" + controller + " is loopback but master=" + master
                    + " runs executors on other hosts; set --controller to this driver's network address and --network-mask to its network");
        }
        return new Check("controller", true, controller + " is an address of this driver");
    }

    /**
     * Parameters, gradient, Adam's two moments and the shared master's residual, in fp32, twice over (activations and
     * workspaces), plus the decoded shards the executor keeps, against the heap (ND4J's off-heap limit defaults to it).
     */
    static Check memory(long params, long shardBytes, long executorMemory, boolean shared) {
        long needed = params * 4L * (shared ? 5 : 4);
        String shards = shardBytes > 0 ? ", plus " + mib(shardBytes) + " MiB of kept shards (--data-cache-mb)" : "";
        if (executorMemory <= 0) {
            return new Check("executor-memory", true, "model needs ~" + mib(needed) + " MiB per replica" + shards + "; executor heap unknown");
        }
        String detail = "model needs ~" + mib(needed) + " MiB per replica (params, gradient, Adam state" + (shared ? ", residual" : "")
                + ")" + shards + ", executor heap " + mib(executorMemory) + " MiB";
        long wanted = needed * 2 + shardBytes;
        return wanted <= executorMemory
                ? new Check("executor-memory", true, detail)
                : new Check("executor-memory", false, detail + "; raise spark.executor.memory to at least " + mib(wanted) + " MiB"
                        + (shardBytes > 0 ? " or lower --data-cache-mb" : ""));
    }

    /** Usable bytes of a directory on this host (0 when it does not exist). */
    public static long usableSpace(Path dir) {
        try {
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            return 0;
        }
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }

    private Preflight() {}
}
