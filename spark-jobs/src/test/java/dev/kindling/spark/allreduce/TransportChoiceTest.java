package dev.kindling.spark.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.spark.config.Transport;
import org.junit.jupiter.api.Test;

/** What {@code --transport} runs for a placement of workers in JVMs (ReplicaTask.transport). */
class TransportChoiceTest {
    private static Transport auto(boolean dense, String... jvmOf) {
        return ReplicaTask.transport(Transport.AUTO, Placement.of(jvmOf), dense, jvmOf);
    }

    @Test
    void autoPicksByPlacementAndEncoding() {
        assertEquals(Transport.MEMORY, auto(true, "a", "a", "a"));
        assertEquals(Transport.MEMORY, auto(false, "a", "a"));
        assertEquals(Transport.AERON, auto(true, "a", "b", "c"), "three executors of one slot: all-to-all");
        assertEquals(Transport.HIERARCHICAL, auto(true, "a", "b", "a", "b"), "two executors of two slots");
        assertEquals(Transport.HALVING, auto(true, "a", "b", "c", "d"), "from four executors: halving");
        assertEquals(Transport.HALVING, auto(true, "a", "b", "c", "d", "a", "b"), "four executors, some of several slots: leaders halve");
        assertEquals(Transport.AERON, auto(false, "a", "b", "c", "d"), "topk's pairs stay all-to-all");
    }

    @Test
    void anExplicitChoiceIsKeptAndMemoryAcrossJvmsIsRefused() {
        String[] two = {"host1-pid7", "host2-pid9"};
        assertEquals(Transport.HALVING, ReplicaTask.transport(Transport.HALVING, Placement.of(two), true, two));
        assertEquals(Transport.AERON, ReplicaTask.transport(Transport.AERON, Placement.of(new String[] {"a", "a"}), true, two));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ReplicaTask.transport(Transport.MEMORY, Placement.of(two), true, two));
        assertTrue(e.getMessage().contains("--transport=memory") && e.getMessage().contains("host2-pid9"), e.getMessage());
    }
}
