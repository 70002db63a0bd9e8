package dev.kindling.core.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.layer.ExactGelu;
import dev.kindling.core.model.Gpt;
import dev.kindling.core.model.Mlp;
import dev.kindling.core.model.Head;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import java.util.Arrays;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class CachedGptDecoderTest {
    /** Dropout above 0 so the tests show the decoder follows the graph's inference path, which has none. */
    private static final Gpt.Spec SPEC = new Gpt.Spec(13, 10, 2, 2, 8, 16, 0.1);
    private static final int SEQ_LEN = 6;

    /**
     * A GPT whose weights are moved far from the N(0, 0.02) init, so every block changes the logits and the
     * next-token distributions are peaked rather than near uniform.
     */
    private static ComputationGraph gpt(DataType type, int seqLen) {
        NetDefaults d = type == DataType.DOUBLE ? NetDefaults.gradientCheck(7) : NetDefaults.adamW(7, type, CosineAnnealing.tutorial(), 0.1);
        ComputationGraph g = new ComputationGraph(Gpt.configure(SPEC, seqLen, 3, d));
        g.init();
        Nd4j.getRandom().setSeed(11);
        for (INDArray p : g.getLayer(Gpt.OUTPUT).paramTable().values()) {
            p.addi(Nd4j.randn(p.dataType(), p.shape()).muli(0.4));
        }
        return g;
    }

    private static double[] logSoftmax(float[] z) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float v : z) {
            max = Math.max(max, v);
        }
        for (float v : z) {
            sum += Math.exp(v - max);
        }
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = z[i] - max - Math.log(sum);
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void logitsTakenOneTokenAtATimeEqualTheGraphsAtEveryPosition(DataType type) {
        int t = SPEC.context();
        ComputationGraph g = gpt(type, t);
        int[] tokens = {3, 1, 4, 1, 5, 9, 2, 6, 5, 12};
        INDArray x = Nd4j.createFromArray(new int[][] {tokens}).castTo(type);
        INDArray probs = g.outputSingle(x);                                        // [1, V, T]
        CachedGptDecoder decoder = CachedGptDecoder.of(g);
        KvCache cache = decoder.newCache();
        float[] z = decoder.prefill(cache, tokens, 0, 1);
        for (int pos = 0; pos < t; pos++) {
            if (pos > 0) {
                z = decoder.step(new KvCache[] {cache}, new int[] {tokens[pos]})[0];
            }
            double[] cached = logSoftmax(z);
            double[] graph = probs.slice(0).getColumn(pos).toDoubleVector();
            for (int v = 0; v < cached.length; v++) {
                double want = Math.log(graph[v]);
                assertEquals(want, cached[v], 1e-4 * Math.max(1, Math.abs(want)), "log p(token " + v + ") at position " + pos);
            }
        }
        assertEquals(t, cache.length());
        assertTrue(Arrays.stream(probs.slice(0).getColumn(t - 1).toDoubleVector()).max().orElseThrow() > 0.3,
                "a peaked distribution, so equal logits are a real check");
    }

    @Test
    void aPrefilledWindowEqualsTheSameTokensSteppedOneAtATime() {
        CachedGptDecoder decoder = CachedGptDecoder.of(gpt(DataType.FLOAT, SEQ_LEN));
        int[] tokens = {7, 0, 12, 3, 3, 8, 1, 4, 11, 2}; // 10 rows: the block path (BLAS products and attention)
        KvCache stepped = decoder.newCache();
        float[] z = decoder.prefill(stepped, tokens, 0, 1);
        for (int pos = 1; pos < tokens.length; pos++) {
            z = decoder.step(new KvCache[] {stepped}, new int[] {tokens[pos]})[0];
        }
        KvCache block = decoder.newCache();
        assertArrayEquals(z, decoder.prefill(block, tokens, 0, tokens.length), 1e-5f);
        for (int l = 0; l < SPEC.layers(); l++) {
            assertArrayEquals(stepped.keys[l], block.keys[l], 1e-5f, "block " + l + " keys");
            assertArrayEquals(stepped.values[l], block.values[l], 1e-5f, "block " + l + " values");
        }
    }

    /** A window as long as the context (10 rows): every rebuild past it takes the block path (BLAS products and attention). */
    @Test
    void generationPastABlockSizedWindowEqualsTheFullWindowPath() {
        ComputationGraph g = gpt(DataType.FLOAT, SPEC.context());
        int[] prompt = {3, 1, 4};
        for (long seed = 47; seed < 50; seed++) {
            assertArrayEquals(Sampler.generateFullWindow(g, prompt, 20, SPEC.context(), 1.0, 0, seed),
                    Sampler.generate(g, prompt, 20, SPEC.context(), 1.0, 0, seed), "seed " + seed);
        }
    }

    /** maxNew 14 from short prompts passes SEQ_LEN = 6, so the window slides and the cache is rebuilt. */
    @ParameterizedTest
    @CsvSource({
        "3 1 4,          14, 1.0, 0, 42",
        "3 1 4,          14, 0.7, 3, 43",
        "5,              14, 1.5, 0, 44",
        "2 7 1 8 2 8 1 8 2, 9, 1.0, 0, 45", // a prompt longer than the window: cropped from the start
        "0 1 2 3 4 5,    1,  1.0, 1, 46",   // greedy, one token
    })
    void generationEqualsTheFullWindowPathForASeed(String prompt, int maxNew, double temperature, int topK, long seed) {
        ComputationGraph g = gpt(DataType.FLOAT, SEQ_LEN);
        int[] ids = Arrays.stream(prompt.trim().split(" +")).mapToInt(Integer::parseInt).toArray();
        assertTrue(CachedGptDecoder.accepts(g));
        int[] full = Sampler.generateFullWindow(g, ids, maxNew, SEQ_LEN, temperature, topK, seed);
        assertArrayEquals(full, Sampler.generate(g, ids, maxNew, SEQ_LEN, temperature, topK, seed));
    }

    @Test
    void batchedRowsEqualEachPromptDecodedAloneWithItsSeed() {
        ComputationGraph g = gpt(DataType.FLOAT, SEQ_LEN);
        CachedGptDecoder decoder = CachedGptDecoder.of(g);
        int[][] prompts = {{3, 1, 4}, {2}, {3, 1, 4}, {5, 6, 0, 1, 2, 3, 4, 5}}; // lengths differ; row 3 starts past the window
        long[] seeds = {1, 2, 3, 4};
        int[][] batch = Sampler.generate(decoder, prompts, 12, SEQ_LEN, 0.9, 0, seeds);
        for (int r = 0; r < prompts.length; r++) {
            assertArrayEquals(Sampler.generate(decoder, new int[][] {prompts[r]}, 12, SEQ_LEN, 0.9, 0, new long[] {seeds[r]})[0], batch[r],
                    "row " + r + " alone");
            assertArrayEquals(Sampler.generateFullWindow(g, prompts[r], 12, SEQ_LEN, 0.9, 0, seeds[r]), batch[r], "row " + r + " full window");
        }
        assertFalse(Arrays.equals(batch[0], batch[2]), "one prompt, two seeds: two samples");
    }

    @Test
    void aFullCacheRefusesAnotherStep() {
        CachedGptDecoder decoder = CachedGptDecoder.of(gpt(DataType.FLOAT, SEQ_LEN));
        KvCache cache = decoder.newCache();
        decoder.prefill(cache, new int[SPEC.context()], 0, SPEC.context());
        var e = assertThrows(IllegalStateException.class, () -> decoder.step(new KvCache[] {cache}, new int[] {1}));
        assertTrue(e.getMessage().contains("context=" + SPEC.context()), e.getMessage());
    }

    @Test
    void otherGraphsAreNotTakenForAGpt() {
        ComputationGraph mlp = new ComputationGraph(Mlp.configure(new Mlp.Spec(4, 8, 3, Head.forClasses(3, false), 0.0),
                NetDefaults.gradientCheck(1)));
        mlp.init();
        assertFalse(CachedGptDecoder.accepts(mlp));
        assertThrows(IllegalArgumentException.class, () -> CachedGptDecoder.of(mlp));
    }

    @Test
    void geluMatchesTheGraphsExactGelu() {
        double[] xs = new double[241];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = -6 + i * 0.05;
        }
        double[] want = new ExactGelu().getActivation(Nd4j.createFromArray(xs), false).toDoubleVector();
        for (int i = 0; i < xs.length; i++) {
            assertEquals(want[i], CachedGptDecoder.gelu((float) xs[i]), CachedGptDecoder.GELU_ERROR * Math.max(1, Math.abs(xs[i])), "gelu(" + xs[i] + ")");
        }
    }
}
