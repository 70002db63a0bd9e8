package dev.kindling.core.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.model.Gpt;
import dev.kindling.core.optim.NetDefaults;
import java.util.Arrays;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final double[] LOGITS = {2.0, 1.0, 0.0, -1.0};

    private static double[] softmax(double... z) {
        double s = Arrays.stream(z).map(Math::exp).sum();
        return Arrays.stream(z).map(v -> Math.exp(v) / s).toArray();
    }

    @Test
    void temperatureDividesTheLogits() {
        assertArrayEquals(softmax(LOGITS), Sampler.probabilities(LOGITS, 1.0, 0), 1e-12);
        assertArrayEquals(softmax(4.0, 2.0, 0.0, -2.0), Sampler.probabilities(LOGITS, 0.5, 0), 1e-12);
        assertArrayEquals(softmax(1.0, 0.5, 0.0, -0.5), Sampler.probabilities(LOGITS, 2.0, 0), 1e-12);
    }

    @Test
    void topKKeepsTheKLargestAndRenormalizes() {
        double[] two = softmax(2.0, 1.0);
        assertArrayEquals(new double[] {two[0], two[1], 0, 0}, Sampler.probabilities(LOGITS, 1.0, 2), 1e-12);
        assertArrayEquals(new double[] {1, 0, 0, 0}, Sampler.probabilities(LOGITS, 1.0, 1), 1e-12);
        assertArrayEquals(softmax(LOGITS), Sampler.probabilities(LOGITS, 1.0, 4), 1e-12);
        // the seed's `logits < v[-1]` keeps ties with the k-th value
        double[] tied = Sampler.probabilities(new double[] {1.0, 3.0, 1.0, 0.0}, 1.0, 2);
        assertArrayEquals(softmax(1.0, 3.0, 1.0), Arrays.copyOf(tied, 3), 1e-12);
        assertEquals(0.0, tied[3], 0.0);
    }

    @Test
    void drawsFollowTheProbabilities() {
        double[] p = {0.1, 0.0, 0.6, 0.3};
        int[] counts = new int[4];
        Random rng = new Random(1);
        for (int i = 0; i < 20_000; i++) {
            counts[Sampler.draw(p, rng)]++;
        }
        assertEquals(0, counts[1]);
        for (int i : new int[] {0, 2, 3}) {
            assertEquals(p[i], counts[i] / 20_000.0, 0.015, "token " + i);
        }
    }

    @Test
    void rejectsZeroTemperature() {
        assertThrows(IllegalArgumentException.class, () -> Sampler.probabilities(LOGITS, 0.0, 0));
    }

    @Test
    void generationIsReproducibleFromItsSeedAndKeepsThePrompt() {
        Gpt.Spec spec = new Gpt.Spec(9, 8, 1, 2, 8, 16, 0.0);
        ComputationGraph net = new ComputationGraph(Gpt.configure(spec, 6, 2, NetDefaults.gradientCheck(5)));
        net.init();
        int[] prompt = {3, 1, 4};
        int[] a = Sampler.generate(net, prompt, 10, 6, 1.0, 0, 42);
        int[] b = Sampler.generate(net, prompt, 10, 6, 1.0, 0, 42);
        int[] c = Sampler.generate(net, prompt, 10, 6, 1.0, 0, 43);
        assertArrayEquals(a, b);
        assertNotEquals(Arrays.toString(a), Arrays.toString(c));
        assertEquals(13, a.length);
        assertArrayEquals(prompt, Arrays.copyOf(a, 3));
        for (int id : a) {
            assertTrue(id >= 0 && id < 9);
        }
        // top-k 1 is greedy: the same sequence whatever the seed
        assertArrayEquals(Sampler.generate(net, prompt, 10, 6, 1.0, 1, 1), Sampler.generate(net, prompt, 10, 6, 1.0, 1, 2));
    }
}
