package dev.kindling.spark.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.Pointer;

/**
 * What this JVM holds, for the bench's MEMORY section: the kernel's resident-set high-water mark (what a
 * container limit or a YARN memory check sees), the Java heap's peak use, and ND4J's off-heap buffers
 * (JavaCPP's count of what it allocated).
 */
final class ProcessMemory {

    /** Resident set now, in bytes: the baseline before a model is built. */
    static long residentBytes() {
        return status("VmRSS:");
    }

    /** The fields the MEMORY section reads, in MB. */
    static Map<String, Object> peaks(long baselineRss) {
        long heapPeak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                heapPeak += pool.getPeakUsage().getUsed(); // per pool, so an upper bound of the whole heap's peak
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("peak_rss_mb", status("VmHWM:") / 1e6);
        m.put("baseline_rss_mb", baselineRss / 1e6);
        m.put("heap_peak_mb", heapPeak / 1e6);
        m.put("heap_max_mb", Runtime.getRuntime().maxMemory() / 1e6);
        m.put("offheap_mb", Pointer.totalBytes() / 1e6);
        m.put("offheap_max_mb", Pointer.maxBytes() / 1e6);
        return m;
    }

    /** A {@code /proc/self/status} line's kB value, in bytes; -1 where there is no /proc (not Linux). */
    private static long status(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    private ProcessMemory() {}
}
