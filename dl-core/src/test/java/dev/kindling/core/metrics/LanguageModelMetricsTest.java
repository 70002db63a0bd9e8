package dev.kindling.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LanguageModelMetricsTest {
    // one sequence, V = 3, T = 2: p(t=0) = (0.5, 0.25, 0.25), p(t=1) = (0.1, 0.2, 0.7); targets 1 then 2
    private static final double[][][] PROBS = {{{0.5, 0.1}, {0.25, 0.2}, {0.25, 0.7}}}; // [B, V, T]
    private static final double[][][] ONE_HOT = {{{0, 0}, {1, 0}, {0, 1}}}; // [B, V, T]

    @Test
    void lossPerplexityAndBitsMatchHandComputedValues() {
        LanguageModelMetrics m = new LanguageModelMetrics();
        m.add(Nd4j.create(PROBS), Nd4j.create(ONE_HOT), null);
        double loss = -(Math.log(0.25) + Math.log(0.7)) / 2;
        assertEquals(2, m.tokens());
        assertEquals(loss, m.loss());
        assertEquals(Math.exp(loss), m.perplexity());
        assertEquals(loss / Math.log(2), m.bitsPerToken());
        Map<String, Object> json = m.toJson();
        assertEquals(List.of("val_loss", "perplexity", "bits_per_token", "tokens"), List.copyOf(json.keySet()));
        assertEquals(2L, json.get("tokens"));
        assertEquals(loss, json.get("val_loss"));
    }

    @Test
    void indexLabelsGiveTheSameLossAsOneHotLabels() {
        LanguageModelMetrics flat = new LanguageModelMetrics();
        flat.add(Nd4j.create(PROBS), Nd4j.create(new double[][] {{1, 2}}), null); // [B, T]
        LanguageModelMetrics recurrent = new LanguageModelMetrics();
        recurrent.add(Nd4j.create(PROBS), Nd4j.create(new double[][][] {{{1, 2}}}), null); // [B, 1, T]
        double loss = -(Math.log(0.25) + Math.log(0.7)) / 2;
        assertEquals(loss, flat.loss());
        assertEquals(loss, recurrent.loss());
    }

    @Test
    void maskedPositionsDoNotCount() {
        double[][][] probs = {{{0.5, 0.1, 1.0}, {0.25, 0.2, 0.0}, {0.25, 0.7, 0.0}}}; // t=2 is padding
        double[][][] labels = {{{0, 0, 0}, {1, 0, 1}, {0, 1, 0}}}; // its target has probability 0
        LanguageModelMetrics m = new LanguageModelMetrics();
        m.add(Nd4j.create(probs), Nd4j.create(labels), Nd4j.create(new double[][] {{1, 1, 0}}));
        assertEquals(2, m.tokens());
        assertEquals(-(Math.log(0.25) + Math.log(0.7)) / 2, m.loss());

        LanguageModelMetrics unmasked = new LanguageModelMetrics();
        unmasked.add(Nd4j.create(probs), Nd4j.create(labels), null);
        assertEquals(3, unmasked.tokens());
        assertEquals(-(Math.log(0.25) + Math.log(0.7) + Math.log(1e-12)) / 3, unmasked.loss()); // clipped at 1e-12
    }

    @Test
    void floatOutputsWithDoubleLabelsAreAccepted() {
        LanguageModelMetrics m = new LanguageModelMetrics();
        m.add(Nd4j.create(PROBS).castTo(DataType.FLOAT), Nd4j.create(ONE_HOT), Nd4j.ones(DataType.FLOAT, 1, 1, 2));
        assertEquals(-(Math.log(0.25) + Math.log(0.7)) / 2, m.loss(), 1e-7);
    }

    @Test
    void rejectsOutputsThatAreNotRecurrent() {
        LanguageModelMetrics m = new LanguageModelMetrics();
        assertThrows(IllegalArgumentException.class,
                () -> m.add(Nd4j.create(new double[][] {{0.5, 0.5}}), Nd4j.create(new double[][] {{1, 0}}), null));
        assertThrows(IllegalArgumentException.class,
                () -> m.add(Nd4j.create(PROBS), Nd4j.create(new double[][] {{1, 3}}), null)); // index 3 >= V
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void mergedPartsEqualTheWhole(long seed) {
        Random random = new Random(seed);
        int b = 100;
        int v = 5;
        int t = 4;
        double[][][] probs = new double[b][v][t];
        double[][][] labels = new double[b][v][t];
        double[][] mask = new double[b][t];
        for (int i = 0; i < b; i++) {
            int length = 1 + random.nextInt(t); // right-padded sequences of uneven length
            for (int j = 0; j < t; j++) {
                double total = 0;
                for (int k = 0; k < v; k++) {
                    probs[i][k][j] = random.nextDouble() + 1e-3;
                    total += probs[i][k][j];
                }
                for (int k = 0; k < v; k++) {
                    probs[i][k][j] /= total;
                }
                labels[i][random.nextInt(v)][j] = 1;
                mask[i][j] = j < length ? 1 : 0;
            }
        }
        LanguageModelMetrics whole = new LanguageModelMetrics();
        whole.add(Nd4j.create(probs), Nd4j.create(labels), Nd4j.create(mask));
        LanguageModelMetrics merged = new LanguageModelMetrics();
        for (int[] r : Split.unevenShuffled(b, 3 + (int) (seed % 2), random)) {
            LanguageModelMetrics part = new LanguageModelMetrics();
            part.add(slice(probs, r), slice(labels, r), Nd4j.create(Arrays.copyOfRange(mask, r[0], r[1])));
            merged.merge(part);
        }
        long expectedTokens = (long) Nd4j.create(mask).sumNumber().doubleValue();
        assertEquals(expectedTokens, whole.tokens());
        assertEquals(whole.tokens(), merged.tokens());
        assertEquals(whole.lossSum(), merged.lossSum(), 1e-9 * whole.lossSum());
        assertEquals(whole.perplexity(), merged.perplexity(), 1e-9 * whole.perplexity());
    }

    private static INDArray slice(double[][][] a, int[] range) {
        return Nd4j.create(Arrays.copyOfRange(a, range[0], range[1]));
    }
}
