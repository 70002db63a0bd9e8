package dev.kindling.core.scratch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QuadrantTaskTest {

    @ParameterizedTest
    @CsvSource({"-1.0, -1.0, 0", "1.0, -1.0, 1", "-1.0, 1.0, 2", "1.0, 1.0, 3", "0.0, 0.0, 0"})
    void labelIsTheQuadrant(double x0, double x1, int expected) {
        assertEquals(expected, QuadrantTask.label(x0, x1));
    }

    @Test
    void everyLabelFollowsFromItsPoint() {
        QuadrantTask task = QuadrantTask.generate(500, 11L);

        for (int i = 0; i < task.size(); i++) {
            double[] x = task.features()[i];
            assertEquals(QuadrantTask.label(x[0], x[1]), task.labels()[i]);
        }
    }

    @Test
    void classesAreRoughlyBalancedAndPointsStandardNormal() {
        QuadrantTask task = QuadrantTask.generate(4000, 12L);

        int[] counts = new int[QuadrantTask.CLASSES];
        double sumSq = 0;
        for (int i = 0; i < task.size(); i++) {
            counts[task.labels()[i]]++;
            sumSq += task.features()[i][0] * task.features()[i][0];
        }

        for (int c : counts) {
            assertEquals(1000, c, 100, () -> "counts " + Arrays.toString(counts));
        }
        assertEquals(1.0, sumSq / task.size(), 0.1);
    }

    @Test
    void sameSeedGivesTheSameDataAndAnotherSeedDifferentData() {
        QuadrantTask a = QuadrantTask.generate(50, 7L);
        QuadrantTask b = QuadrantTask.generate(50, 7L);
        QuadrantTask c = QuadrantTask.generate(50, 8L);

        assertArrayEquals(a.labels(), b.labels());
        assertArrayEquals(a.features()[49], b.features()[49], 0.0);
        assertFalse(Arrays.equals(a.features()[0], c.features()[0]));
    }

    @Test
    void rejectsAnEmptyTaskAndMismatchedLabels() {
        assertThrows(IllegalArgumentException.class, () -> QuadrantTask.generate(0, 1L));
        assertThrows(IllegalArgumentException.class,
                () -> new QuadrantTask(new double[2][2], new int[3]));
        assertTrue(QuadrantTask.generate(1, 1L).size() == 1);
    }
}
