package dev.kindling.spark.allreduce;

import org.apache.spark.SparkConf;

/**
 * Where a worker's Aeron links start: the {@code address} its peers on other hosts send to over UDP and, unless
 * {@code ipcScope} is null, the name of the media driver it shares with the JVMs of its host ({@link HostDriver}),
 * through which peers on the same host exchange over IPC (shared memory) instead.
 */
public record AeronHost(String address, String ipcScope) {

    /** Every peer over UDP, each JVM on its own driver. */
    public static AeronHost udp(String address) {
        return new AeronHost(address, null);
    }

    /** Peers that share this host's driver for {@code scope} over IPC, the others over UDP. */
    public static AeronHost sharing(String address, String scope) {
        return new AeronHost(address, scope);
    }

    /**
     * A Spark executor's worker at {@code address}: over IPC to the executors of its host ({@code ipc}, --host-ipc) or
     * UDP to all. The shared driver is named by the application, since its executors all end with it; in local mode
     * every worker is in this JVM, where each application would otherwise leave a driver running until the JVM exits:
     * one for the JVM.
     */
    public static AeronHost ofExecutor(String address, SparkConf conf, boolean ipc) {
        if (!ipc) {
            return udp(address);
        }
        return sharing(address, conf.get("spark.master", "").startsWith("local") ? "local-" + LocalGroup.JVM : conf.getAppId());
    }
}
