package dev.kindling.core.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RationalTanhTest {

    @Test
    void withinFourTenMillionthsOfTanhRelativeAndNeverBeyondOne() {
        double worst = 0;
        for (int k = -2_000_000; k <= 2_000_000; k++) {
            float x = k * 5e-6f;                                   // [-10, 10]
            float y = RationalTanh.of(x);
            double exact = Math.tanh(x);
            assertTrue(Math.abs(y) <= 1f, "|tanh(" + x + ")| = " + y);
            if (exact != 0) {
                worst = Math.max(worst, Math.abs(y - exact) / Math.abs(exact));
            }
        }
        assertTrue(worst < 4e-7, "worst relative error " + worst);
        for (float tiny : new float[] {1e-30f, 1e-10f, 3e-5f}) {
            assertEquals(tiny, RationalTanh.of(tiny), tiny * 4e-7, "tanh of a tiny x is x");
            assertEquals(-RationalTanh.of(tiny), RationalTanh.of(-tiny), 0f, "odd");
        }
    }

    @Test
    void exactAtZeroSaturatedFarOutNaNStaysNaN() {
        assertEquals(0f, RationalTanh.of(0f), 0f);
        assertEquals(1f, RationalTanh.of(1e30f), 0f);
        assertEquals(-1f, RationalTanh.of(Float.NEGATIVE_INFINITY), 0f);
        assertTrue(Float.isNaN(RationalTanh.of(Float.NaN)));
    }
}
