package dev.kindling.core.text;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The seed's {@code GPT.generate}: autoregressive sampling from a language model's next-token
 * distribution, with temperature and top-k, cropping the context to the last {@code seqLen} tokens.
 * Seeded by one {@link Random}, so a seed reproduces a sample exactly.
 *
 * <p>A GPT graph is decoded by a {@link CachedGptDecoder} (each new token runs alone against cached
 * keys and values). Any other graph runs its whole window per token ({@link #generateFullWindow}): its
 * input length is fixed (DL4J fixes a SameDiff layer's input shape at the first batch), so a context
 * shorter than {@code seqLen} is padded on the right; a causal model's prediction at position
 * {@code len - 1} cannot see the padding (the causality tests prove it).
 */
public final class Sampler {

    /**
     * Next-token probabilities from logits (or log-probabilities: softmax is shift-invariant), the
     * seed's order: divide by the temperature, keep the top k (entries below the k-th largest become
     * -inf; ties with it stay), softmax.
     *
     * @param temperature > 0
     * @param topK        0 keeps all
     */
    public static double[] probabilities(double[] logits, double temperature, int topK) {
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature=" + temperature + ": must be > 0");
        }
        double[] z = new double[logits.length];
        for (int i = 0; i < z.length; i++) {
            z[i] = logits[i] / temperature;
        }
        if (topK > 0 && topK < z.length) {
            double[] sorted = z.clone();
            Arrays.sort(sorted);
            double kth = sorted[sorted.length - topK];
            for (int i = 0; i < z.length; i++) {
                if (z[i] < kth) {
                    z[i] = Double.NEGATIVE_INFINITY;
                }
            }
        }
        double max = Arrays.stream(z).max().orElseThrow();
        double sum = 0;
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            p[i] = Math.exp(z[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** One draw from {@code p} (torch.multinomial with one sample). */
    public static int draw(double[] p, Random rng) {
        double u = rng.nextDouble();
        double c = 0;
        int last = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                c += p[i];
                last = i;
                if (u < c) {
                    return i;
                }
            }
        }
        return last; // rounding: u fell past the cumulative sum
    }

    /**
     * Appends {@code maxNew} sampled tokens to {@code prompt}: through a {@link CachedGptDecoder} when
     * {@code net} is a GPT graph, else {@link #generateFullWindow}. Both give the same tokens for a seed
     * (up to float rounding of the logits; the tests compare them).
     *
     * @param net    a language model: input [B, seqLen] token ids, output [B, V, seqLen] probabilities
     * @param prompt at least one token
     * @param seqLen the context is cropped to its last seqLen tokens (>= 1, the length the model trained on)
     */
    public static int[] generate(ComputationGraph net, int[] prompt, int maxNew, int seqLen, double temperature, int topK, long seed) {
        if (CachedGptDecoder.accepts(net)) {
            return generate(CachedGptDecoder.of(net), new int[][] {prompt}, maxNew, seqLen, temperature, topK, new long[] {seed})[0];
        }
        return generateFullWindow(net, prompt, maxNew, seqLen, temperature, topK, seed);
    }

    /**
     * {@link #generate} running the whole (padded) window through {@code net} for every token: any
     * language model, O(seqLen^2) attention per token.
     */
    public static int[] generateFullWindow(ComputationGraph net, int[] prompt, int maxNew, int seqLen, double temperature, int topK,
                                           long seed) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("prompt: needs at least one token");
        }
        Random rng = new Random(seed);
        int[] ids = Arrays.copyOf(prompt, prompt.length + maxNew);
        int len = prompt.length;
        for (int step = 0; step < maxNew; step++) {
            int from = Math.max(0, len - seqLen);                  // idx[:, -seqLen:]
            int n = len - from;
            float[] window = new float[seqLen];                    // right-padded with token 0
            for (int t = 0; t < n; t++) {
                window[t] = ids[from + t];
            }
            INDArray x = Nd4j.create(window, new long[] {1, seqLen}).castTo(net.params().dataType());
            INDArray probs = net.outputSingle(x);                  // [1, V, seqLen]
            double[] p = probs.slice(0).getColumn(n - 1).toDoubleVector(); // [V] at the last real position
            double[] logp = new double[p.length];
            for (int i = 0; i < p.length; i++) {
                logp[i] = Math.log(p[i]);
            }
            ids[len++] = draw(probabilities(logp, temperature, topK), rng);
        }
        return ids;
    }

    /**
     * {@link #generate} for B prompts at once, row r drawn from its own {@code new Random(seeds[r])}, so a
     * row's tokens equal its prompt's alone. Prompts may differ in length. Rows inside their window take
     * one cached step together; once a row's context passes {@code seqLen} tokens its positions shift
     * (learned absolute positions, and the dropped first token changed every later hidden state), so that
     * row's cache is rebuilt from its cropped window at every further token: exact, O(seqLen) rows per token.
     *
     * @param seqLen in [1, model context]
     * @return each prompt followed by its maxNew tokens
     */
    public static int[][] generate(CachedGptDecoder model, int[][] prompts, int maxNew, int seqLen, double temperature, int topK,
                                   long[] seeds) {
        if (seqLen < 1 || seqLen > model.context()) {
            throw new IllegalArgumentException("seqLen=" + seqLen + ": must be in [1, context=" + model.context() + "]");
        }
        if (seeds.length != prompts.length) {
            throw new IllegalArgumentException("seeds=" + seeds.length + ", prompts=" + prompts.length + ": one seed per prompt");
        }
        int b = prompts.length;
        Random[] rng = new Random[b];
        int[][] ids = new int[b][];
        int[] len = new int[b];
        KvCache[] caches = new KvCache[b];
        float[][] logits = new float[b][];
        for (int r = 0; r < b; r++) {
            if (prompts[r].length == 0) {
                throw new IllegalArgumentException("prompt " + r + ": needs at least one token");
            }
            rng[r] = new Random(seeds[r]);
            ids[r] = Arrays.copyOf(prompts[r], prompts[r].length + maxNew);
            len[r] = prompts[r].length;
            caches[r] = model.newCache();
            logits[r] = model.prefill(caches[r], ids[r], Math.max(0, len[r] - seqLen), len[r]);
        }
        for (int step = 0; step < maxNew; step++) {
            for (int r = 0; r < b; r++) {
                ids[r][len[r]] = draw(probabilities(doubles(logits[r]), temperature, topK), rng[r]);
                len[r]++;
            }
            if (step == maxNew - 1) {
                break;
            }
            int[] inWindow = IntStream.range(0, b).filter(r -> len[r] <= seqLen).toArray();
            KvCache[] stepping = new KvCache[inWindow.length];
            int[] last = new int[inWindow.length];
            for (int i = 0; i < inWindow.length; i++) {
                stepping[i] = caches[inWindow[i]];
                last[i] = ids[inWindow[i]][len[inWindow[i]] - 1];
            }
            float[][] stepped = inWindow.length > 0 ? model.step(stepping, last) : new float[0][];
            for (int i = 0; i < inWindow.length; i++) {
                logits[inWindow[i]] = stepped[i];
            }
            for (int r = 0; r < b; r++) {
                if (len[r] > seqLen) {
                    logits[r] = model.prefill(caches[r], ids[r], len[r] - seqLen, len[r]);
                }
            }
        }
        return ids;
    }

    private static double[] doubles(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private Sampler() {}
}
