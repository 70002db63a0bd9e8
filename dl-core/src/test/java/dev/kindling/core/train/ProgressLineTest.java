package dev.kindling.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ProgressLineTest {

    @Test
    void aTerminalLineIsRedrawnInPlaceAtMostOncePerIntervalUnlessForced() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressLine line = new ProgressLine(new PrintStream(bytes, true, StandardCharsets.UTF_8), 3600);
        AtomicInteger built = new AtomicInteger();
        line.offer(() -> "first" + built.incrementAndGet(), false);
        line.offer(() -> "second" + built.incrementAndGet(), false); // within the interval: not even built
        line.offer(() -> "last" + built.incrementAndGet(), true);
        line.finish();
        line.finish(); // a closed line is not closed twice
        assertEquals("\r\033[Kfirst1\r\033[Klast2\n", bytes.toString(StandardCharsets.UTF_8));
        assertEquals(2, built.get());
    }

    @Test
    void theLineSaysWhereTheEpochAndTheRunStand() {
        // epoch 2 of 4, 30 of 100 steps done in 6 s (of which 20 steps timed in this process)
        EpochProgress p = new EpochProgress(2, 30, 100, 640, 0.51234, 3e-4, Double.NaN, 6, 20);
        String s = p.line(4);
        assertTrue(s.startsWith("epoch=2/4 step=30/100 run=130/400 loss=0.5123 lr=3.0e-04 samples/s=107 eta="), s);
        // 0.3 s a step, 270 steps left
        assertTrue(s.endsWith("eta=1m21s"), s);
        assertTrue(!s.contains("loss_scale"), "no fp16, no scale: " + s);
        assertTrue(new EpochProgress(1, 1, 10, 32, 1, 1e-3, 1024, 1, 1).line(1).contains(" loss_scale=1024 "));
    }
}
