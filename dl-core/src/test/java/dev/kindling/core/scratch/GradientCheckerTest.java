package dev.kindling.core.scratch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GradientCheckerTest {
    private static final int[] DIMS = {2, 8, 6, 4};
    private static final int BATCH = 16;

    private static ScratchMlp tinyNet() {
        return ScratchMlp.create(DIMS, new Random(3));
    }

    private static QuadrantTask batch() {
        return QuadrantTask.generate(BATCH, 4L);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        QuadrantTask data = batch();
        ScratchMlp net = tinyNet();

        GradientChecker.Report report = GradientChecker.check(net.objective(data.features(), data.labels()));

        assertEquals(List.of("layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b", "layers.2.W",
                "layers.2.b"), List.copyOf(report.relativeErrors().keySet()));
        report.relativeErrors().forEach((name, err) ->
                assertTrue(err < 1e-6, () -> name + " relative error " + err));
        assertTrue(report.worstError() < 1e-6, () -> "worst " + report);
    }

    /** Ways to break a correct backward pass, each applied after the analytic gradients exist. */
    static Stream<Arguments> brokenGradients() {
        Consumer<List<Parameter>> oneWeightEntryOff = ps -> ps.get(2).gradient()[3][1] += 1e-4;
        Consumer<List<Parameter>> oneBiasEntryZeroed = ps -> ps.get(5).gradient()[0][2] = 0.0;
        Consumer<List<Parameter>> missingOneOverBatch = ps -> ps.forEach(p -> {
            for (double[] row : p.gradient()) {
                for (int j = 0; j < row.length; j++) {
                    row[j] *= BATCH;
                }
            }
        });
        Consumer<List<Parameter>> transposedLikeLayout = ps -> {
            double[][] g = ps.get(4).gradient(); // [6, 4]: swap two columns, as a wrong index would
            for (double[] row : g) {
                double t = row[0];
                row[0] = row[1];
                row[1] = t;
            }
        };
        return Stream.of(
                Arguments.of("one W entry off by 1e-4", oneWeightEntryOff, "layers.1.W"),
                Arguments.of("one b entry zeroed", oneBiasEntryZeroed, "layers.2.b"),
                Arguments.of("gradient not divided by the batch", missingOneOverBatch, null),
                Arguments.of("two output columns swapped", transposedLikeLayout, "layers.2.W"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenGradients")
    void detectsABrokenBackwardPass(String description, Consumer<List<Parameter>> corrupt,
                                    String expectedWorst) {
        QuadrantTask data = batch();
        ScratchMlp net = tinyNet();
        GradientChecker.Objective correct = net.objective(data.features(), data.labels());
        GradientChecker.Objective broken = new GradientChecker.Objective() {
            @Override
            public List<Parameter> parameters() {
                return correct.parameters();
            }

            @Override
            public double loss() {
                return correct.loss();
            }

            @Override
            public void computeGradients() {
                correct.computeGradients();
                corrupt.accept(correct.parameters());
            }
        };

        GradientChecker.Report report = GradientChecker.check(broken);

        assertTrue(report.worstError() > 1e-5, () -> description + " not detected: " + report);
        if (expectedWorst != null) {
            assertEquals(expectedWorst, report.worstParameter(), description);
        }
    }

    @Test
    void checkLeavesEveryParameterValueAsItWas() {
        QuadrantTask data = batch();
        ScratchMlp net = tinyNet();
        ScratchMlp copy = tinyNet();

        GradientChecker.check(net.objective(data.features(), data.labels()));

        for (int i = 0; i < net.parameters().size(); i++) {
            double[][] after = net.parameters().get(i).value();
            double[][] before = copy.parameters().get(i).value();
            for (int r = 0; r < after.length; r++) {
                assertArrayEquals(before[r], after[r], 0.0);
            }
        }
    }

    @Test
    void relativeErrorIsZeroForEqualArraysAndOneForOpposite() {
        double[][] a = {{1, -2}, {3, 4}};
        double[][] minusA = {{-1, 2}, {-3, -4}};
        double[][] zeros = {{0, 0}, {0, 0}};

        assertEquals(0.0, GradientChecker.relativeError(a, a), 0.0);
        assertEquals(1.0, GradientChecker.relativeError(a, minusA), 1e-15);
        assertEquals(0.0, GradientChecker.relativeError(zeros, zeros), 0.0);
    }
}
