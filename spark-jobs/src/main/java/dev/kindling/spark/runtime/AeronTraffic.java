package dev.kindling.spark.runtime;

import io.aeron.AeronCounters;
import io.aeron.CncFileDescriptor;
import io.aeron.driver.status.SystemCounterDescriptor;
import java.io.File;
import java.io.IOException;
import java.io.Serializable;
import java.net.InetAddress;
import java.nio.MappedByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Bytes on the wire of DL4J's gradient sharing, read from the "Bytes sent" system counter of every
 * Aeron media driver (one embedded in each training JVM) on the driver's and the executors' hosts.
 * Each media driver counts what its JVM sent over UDP; the sum over the mesh is what the shared
 * master put on the network.
 */
public final class AeronTraffic {
    public static final File SHM = new File("/dev/shm");

    /** One media driver's counter: host, directory, bytes sent. */
    public static final class Sample implements Serializable {
        private static final long serialVersionUID = 1L;
        final String host;
        final String dir;
        final long bytesSent;

        Sample(String host, String dir, long bytesSent) {
            this.host = host;
            this.dir = dir;
            this.bytesSent = bytesSent;
        }
    }

    /** Every live media driver's bytes-sent counter on this host. */
    static List<Sample> local() {
        List<Sample> out = new ArrayList<>();
        String host = hostName();
        File[] dirs = SHM.listFiles((d, name) -> name.startsWith("aeron-"));
        if (dirs == null) {
            return out;
        }
        for (File dir : dirs) {
            File cnc = new File(dir, CncFileDescriptor.CNC_FILE);
            if (cnc.isFile()) {
                try {
                    out.add(new Sample(host, dir.getName(), bytesSent(cnc)));
                } catch (RuntimeException e) {
                    // a driver that is starting or shutting down: its file is not readable yet or any more
                }
            }
        }
        return out;
    }

    static long bytesSent(File cnc) {
        MappedByteBuffer buffer = IoUtil.mapExistingFile(cnc, "cnc");
        try {
            UnsafeBuffer meta = CncFileDescriptor.createMetaDataBuffer(buffer);
            CountersReader counters = new CountersReader(
                    CncFileDescriptor.createCountersMetaDataBuffer(buffer, meta),
                    CncFileDescriptor.createCountersValuesBuffer(buffer, meta));
            long[] total = {0};
            counters.forEach((counterId, typeId, key, label) -> {
                if (typeId == AeronCounters.DRIVER_SYSTEM_COUNTER_TYPE_ID
                        && label.equals(SystemCounterDescriptor.BYTES_SENT.label())) {
                    total[0] += counters.getCounterValue(counterId);
                }
            });
            return total[0];
        } finally {
            IoUtil.unmap(buffer);
        }
    }

    /**
     * Bytes sent per media driver (host:directory): this host's drivers plus those the executors see
     * on theirs (a few tasks per executor slot, so every executor is likely visited once or more).
     */
    public static Map<String, Long> snapshot(JavaSparkContext sc) {
        Map<String, Long> byDriver = new HashMap<>();
        List<Sample> samples = new ArrayList<>(local());
        samples.addAll(OnExecutors.collect(sc, "Aeron: read the media drivers' byte counters", AeronTraffic::local));
        for (Sample s : samples) {
            byDriver.merge(s.host + ":" + s.dir, s.bytesSent, Math::max);
        }
        return byDriver;
    }

    /**
     * What the mesh sent between two snapshots. Drivers that were already there count from their
     * earlier value; any other Aeron application on the same hosts in that window would count too.
     */
    public static long sentBetween(Map<String, Long> before, Map<String, Long> after) {
        long total = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            total += Math.max(0, e.getValue() - before.getOrDefault(e.getKey(), 0L));
        }
        return total;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private AeronTraffic() {}
}
