package dev.kindling.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The collector Kindling's JVMs run with, and how executors' options get it. */
class GarbageCollectorTest {

    @Test
    void kindlingsJvmFlagsRunParallelWithASmallYoungGeneration() {
        // surefire runs with the parent pom's kindling.jvm.flags: this fails when they and OPTIONS part
        Set<String> collectors = ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(GarbageCollectorMXBean::getName).collect(Collectors.toSet());
        assertEquals(Set.of("PS Scavenge", "PS MarkSweep"), collectors, "run with " + GarbageCollector.OPTIONS);
        HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        assertEquals(Long.toString(64L << 20), hotspot.getVMOption("MaxNewSize").getValue());
    }

    @Test
    void executorsGetTheOptionsUnlessTheClusterChoseItsOwn() {
        assertEquals(GarbageCollector.OPTIONS, GarbageCollector.addUnlessChosen(""));
        assertEquals("-Da=1 " + GarbageCollector.OPTIONS, GarbageCollector.addUnlessChosen("-Da=1"));
        for (String own : List.of("-XX:+UseG1GC", "-Da=1 -XX:+UseZGC", "-Xmn1g", "-XX:NewSize=128m", "-XX:MaxNewSize=1g")) {
            assertEquals(own, GarbageCollector.addUnlessChosen(own), own);
        }
        assertTrue(GarbageCollector.addUnlessChosen("-XX:-UseCompressedOops").endsWith(GarbageCollector.OPTIONS));
    }
}
