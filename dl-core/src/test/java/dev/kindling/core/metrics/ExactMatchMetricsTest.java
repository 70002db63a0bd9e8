package dev.kindling.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ExactMatchMetricsTest {

    @Test
    void wholeSequencesAndTokensAreCountedAsHandComputed() {
        ExactMatchMetrics m = new ExactMatchMetrics();
        m.add(new int[][] {{1, 2, 3}, {1, 2, 4}, {1, 2}, {5, 6, 7, 8}, {}},
                new int[][] {{1, 2, 3}, {1, 2, 3}, {1, 2, 3}, {5, 6, 7}, {}});
        // exact: rows 0 and 4; tokens correct 3 + 2 + 2 + 3 + 0 over max lengths 3 + 3 + 3 + 4 + 0
        assertEquals(5, m.sequences());
        assertEquals(2, m.exactMatches());
        assertEquals(0.4, m.exactMatch());
        assertEquals(10.0 / 13, m.tokenAccuracy());
        Map<String, Object> json = m.toJson();
        assertEquals(List.of("exact_match", "token_accuracy", "sequences"), List.copyOf(json.keySet()));
        assertEquals(5L, json.get("sequences"));
    }

    @Test
    void noSequencesReportNull() {
        Map<String, Object> json = new ExactMatchMetrics().toJson();
        assertNull(json.get("exact_match"));
        assertNull(json.get("token_accuracy"));
        assertEquals(0L, json.get("sequences"));
    }

    @Test
    void rejectsBatchesOfDifferentSizes() {
        ExactMatchMetrics m = new ExactMatchMetrics();
        assertThrows(IllegalArgumentException.class, () -> m.add(new int[][] {{1}}, new int[][] {{1}, {2}}));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void mergedPartsEqualTheWhole(long seed) {
        Random random = new Random(seed);
        int n = 100;
        int[][] expected = new int[n][];
        int[][] predicted = new int[n][];
        for (int i = 0; i < n; i++) {
            expected[i] = random.ints(1 + random.nextInt(6), 0, 4).toArray();
            predicted[i] = expected[i].clone();
            if (random.nextBoolean()) {
                predicted[i][random.nextInt(predicted[i].length)] = random.nextInt(4);
            }
            if (random.nextInt(5) == 0) {
                predicted[i] = Arrays.copyOf(predicted[i], predicted[i].length + random.nextInt(3) - 1);
            }
        }
        ExactMatchMetrics whole = new ExactMatchMetrics();
        whole.add(predicted, expected);
        ExactMatchMetrics merged = new ExactMatchMetrics();
        for (int[] r : Split.unevenShuffled(n, 3 + (int) (seed % 2), random)) {
            ExactMatchMetrics part = new ExactMatchMetrics();
            part.add(Arrays.copyOfRange(predicted, r[0], r[1]), Arrays.copyOfRange(expected, r[0], r[1]));
            merged.merge(part);
        }
        assertEquals(n, merged.sequences());
        assertEquals(whole.exactMatches(), merged.exactMatches());
        assertEquals(whole.tokens(), merged.tokens());
        assertEquals(whole.correctTokens(), merged.correctTokens());
        assertEquals(whole.toJson(), merged.toJson());
    }
}
