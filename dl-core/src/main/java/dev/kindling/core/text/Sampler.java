package dev.kindling.core.text;

import java.util.Arrays;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The seed's {@code GPT.generate}: autoregressive sampling from a language model's next-token
 * distribution, with temperature and top-k, cropping the context to the last {@code seqLen} tokens.
 * Seeded by one {@link Random}, so a seed reproduces a sample exactly.
 *
 * <p>The network's input length is fixed (DL4J fixes a SameDiff layer's input shape at the first
 * batch), so a context shorter than {@code seqLen} is padded on the right; a causal model's
 * prediction at position {@code len - 1} cannot see the padding (the causality tests prove it).
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
     * Appends {@code maxNew} sampled tokens to {@code prompt}.
     *
     * @param net    a language model: input [B, seqLen] token ids, output [B, V, seqLen] probabilities
     * @param prompt at least one token
     */
    public static int[] generate(ComputationGraph net, int[] prompt, int maxNew, int seqLen, double temperature, int topK, long seed) {
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

    private Sampler() {}
}
