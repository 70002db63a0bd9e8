package dev.kindling.spark.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RankTimeTest {

    @Test
    void aReplicaWhoseStepsTakeMoreThanOneAndAHalfTimesTheMedianIsNamedWithItsExecutorAndHost() {
        List<RankTime> ranks = List.of(new RankTime(0, "1", "hostA", 40, 10.0, 9.0), new RankTime(1, "2", "hostB", 40, 19.0, 0.5),
                new RankTime(2, "3", "hostC", 40, 11.0, 8.0));
        List<String> named = RankTime.stragglers(ranks);
        assertEquals(1, named.size(), named.toString());
        assertTrue(named.get(0).startsWith("rank 1 (executor 2 on hostB): its steps took 1.7x the median"), named.get(0));
    }

    @Test
    void evenReplicasFewStepsAndASingleWorkerNameNobody() {
        assertTrue(RankTime.stragglers(List.of(new RankTime(0, "1", "a", 40, 10, 1), new RankTime(1, "2", "b", 40, 14, 1))).isEmpty(),
                "14 s is 1.17x the median of 10 and 14");
        assertTrue(RankTime.stragglers(List.of(new RankTime(0, "1", "a", 5, 1, 1), new RankTime(1, "2", "b", 5, 9, 1),
                new RankTime(2, "3", "c", 5, 1, 1))).isEmpty(), "5 steps are too few to judge");
        assertTrue(RankTime.stragglers(List.of(new RankTime(0, "driver", "a", 40, 10, 0))).isEmpty());
    }
}
