package dev.kindling.core.text;

import dev.kindling.core.layer.Gemm;
import dev.kindling.core.layer.GptLayer;
import dev.kindling.core.layer.LayerNorm;
import dev.kindling.core.model.Gpt;
import java.util.Arrays;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A trained {@link Gpt}'s next-token logits one token at a time, with every block's keys and values kept
 * in a {@link KvCache}: a new token costs O(context) attention and no re-run of earlier positions, where
 * the graph recomputes its whole (padded) window. The same inference path as {@link GptLayer}'s
 * probabilities (no dropout): token + position embedding, pre-LN blocks {@code x + attn(ln1(x))},
 * {@code x + ff(ln2(x))} with exact GELU, final LayerNorm, logits {@code x wte^T} (tied head).
 *
 * <pre>
 * array   shape (row-major)   GptLayer parameter        note
 * wte     [V, C]              wte [V, C]                token embedding
 * head    [C, V]              wte^T                     transposed once, so logits are row updates
 * wpe     [ctx, C]            wpe [ctx, C]              learned positions
 * qkv     [C, 3C]             h{i}attnqkv               q | k | v column blocks, head j at j*d (d = C/h)
 * proj    [C, C]              h{i}attnproj
 * ff1     [C, F], ff2 [F, C]  h{i}ff1w, h{i}ff2w        biases h{i}ff1b [F], h{i}ff2b [C]
 * x       [N, C]              activations               N rows, one token each
 * </pre>
 *
 * Arithmetic is float, whatever the graph's type; products are written as row updates
 * ({@code out[j] += s * w[j]}), which HotSpot vectorizes, where dot products (ordered float sums) it does
 * not. Logits therefore match the graph's to float rounding, not bit for bit.
 * <p>
 * One thread at a time: a decoder keeps the arrays its row-block products run through (one decoder per generation
 * job, {@link #of} is cheap).
 */
public final class CachedGptDecoder {
    private final int vocab, context, heads, width, ffWidth;
    private final float[] wte, head, wpe, lnfGain, lnfBias;
    private final Block[] blocks;
    private final INDArray[] scratch = new INDArray[7];

    private record Block(float[] ln1Gain, float[] ln1Bias, Matrix qkv, Matrix proj, float[] ln2Gain, float[] ln2Bias,
                         Matrix ff1, float[] ff1Bias, Matrix ff2, float[] ff2Bias) {
    }

    /** A [k, m] weight twice: row-major floats for the one-row loop, an ND4J array for BLAS on row blocks. */
    private record Matrix(float[] rows, INDArray array, int k, int m) {
        Matrix(INDArray a) {
            this(Nd4j.toFlattened('c', a).toFloatVector(), a.dup('c'), (int) a.size(0), (int) a.size(1));
        }
    }

    /**
     * Row blocks at least this tall go through ND4J's matrix product (BLAS); below, the copies into and out
     * of ND4J cost more than the loop. Measured on one thread (width 128): a 128-row prefill took 50 ms in
     * the loop; a single row is faster in the loop.
     */
    private static final int BLAS_ROWS = 8;

    private CachedGptDecoder(GptLayer conf, Map<String, INDArray> p) {
        vocab = conf.getVocab();
        context = conf.getContext();
        heads = conf.getHeads();
        width = conf.getWidth();
        ffWidth = conf.getFfWidth();
        wte = floats(p, GptLayer.WTE);
        head = transpose(wte, vocab, width);
        wpe = floats(p, GptLayer.WPE);
        lnfGain = floats(p, "lnfg");
        lnfBias = floats(p, "lnfb");
        blocks = new Block[conf.getLayers()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = new Block(floats(p, GptLayer.key(i, "ln1g")), floats(p, GptLayer.key(i, "ln1b")),
                    matrix(p, GptLayer.key(i, "attnqkv")), matrix(p, GptLayer.key(i, "attnproj")),
                    floats(p, GptLayer.key(i, "ln2g")), floats(p, GptLayer.key(i, "ln2b")),
                    matrix(p, GptLayer.key(i, "ff1w")), floats(p, GptLayer.key(i, "ff1b")),
                    matrix(p, GptLayer.key(i, "ff2w")), floats(p, GptLayer.key(i, "ff2b")));
        }
    }

    /** Whether {@code net} is a {@link Gpt} graph, the one shape this decoder reads. */
    public static boolean accepts(ComputationGraph net) {
        Layer[] layers = net.getLayers();
        return layers.length == 1 && layers[0].conf().getLayer() instanceof GptLayer g && g.isCausal();
    }

    /** A copy of {@code net}'s parameters (later training does not reach the decoder). */
    public static CachedGptDecoder of(ComputationGraph net) {
        if (!accepts(net)) {
            throw new IllegalArgumentException("net: not a GPT graph (one causal GptLayer, built by Gpt.configure); "
                    + "use Sampler.generateFullWindow for other language models");
        }
        Layer layer = net.getLayers()[0];
        return new CachedGptDecoder((GptLayer) layer.conf().getLayer(), layer.paramTable());
    }

    public int vocabSize() {
        return vocab;
    }

    /** Rows of the position table: the most positions a cache holds. */
    public int context() {
        return context;
    }

    public KvCache newCache() {
        return new KvCache(blocks.length, context, width);
    }

    /**
     * Empties {@code cache} and runs {@code tokens[from, to)} at positions 0.. as one block of rows.
     *
     * @param to - from in [1, context]
     * @return the logits [V] at the last position
     */
    public float[] prefill(KvCache cache, int[] tokens, int from, int to) {
        int n = to - from;
        if (n < 1 || n > context) {
            throw new IllegalArgumentException("tokens [" + from + ", " + to + "): must be 1 to context=" + context + " tokens");
        }
        cache.length = 0;
        KvCache[] caches = new KvCache[n];
        int[] positions = new int[n];
        for (int r = 0; r < n; r++) {
            caches[r] = cache;
            positions[r] = r;
        }
        float[] x = hidden(caches, positions, Arrays.copyOfRange(tokens, from, to), 1);
        cache.length = n;
        return logits(x, 0);
    }

    /**
     * Runs {@code tokens[r]} at position {@code caches[r].length()} for every row r (one sequence each)
     * and appends its key and value.
     *
     * @return logits [B][V]
     */
    public float[][] step(KvCache[] caches, int[] tokens) {
        int[] positions = new int[caches.length];
        for (int r = 0; r < caches.length; r++) {
            positions[r] = caches[r].length;
            if (positions[r] >= context) {
                throw new IllegalStateException("cache row " + r + " holds context=" + context + " positions; prefill a cropped window");
            }
        }
        float[] x = hidden(caches, positions, tokens, tokens.length);
        float[][] out = new float[caches.length][];
        for (int r = 0; r < caches.length; r++) {
            caches[r].length++;
            out[r] = logits(x, r);
        }
        return out;
    }

    /**
     * Token {@code tokens[r]} at {@code positions[r]} of {@code caches[r]} through every block. Each block
     * stores all rows' keys and values before any row attends, so rows of one cache at consecutive
     * positions (a prefill) see each other as the causal mask allows.
     * <p>
     * Only the last {@code outputs} rows' outputs are computed in the last block: the other rows' keys and
     * values there are all the cache needs of them, and nothing reads their hidden states. A prefill wants
     * only its last row's logits; past the window every token is a 64-row prefill, so this skips about a
     * fifth of its products.
     *
     * @return the final LayerNorm's output for the last {@code outputs} rows, [outputs, C] (its first rows)
     */
    private float[] hidden(KvCache[] caches, int[] positions, int[] tokens, int outputs) {
        int n = tokens.length, c = width, f = ffWidth;
        float[] x = new float[n * c];                                         // [N, C]
        for (int r = 0; r < n; r++) {
            if (tokens[r] < 0 || tokens[r] >= vocab) {
                throw new IllegalArgumentException("token=" + tokens[r] + ": must be in [0, " + vocab + ")");
            }
            for (int j = 0; j < c; j++) {
                x[r * c + j] = wte[tokens[r] * c + j] + wpe[positions[r] * c + j];
            }
        }
        float[] a = new float[n * c], qkv = new float[n * 3 * c], y = new float[n * c], h = new float[n * f];
        for (int l = 0; l < blocks.length; l++) {
            Block b = blocks[l];
            layerNorm(x, b.ln1Gain, b.ln1Bias, a, n);
            product(a, n, b.qkv, qkv, false);                        // [N, C] x [C, 3C]
            for (int r = 0; r < n; r++) {
                float[] k = caches[r].keys[l];
                for (int i = 0; i < c; i++) {
                    k[i * context + positions[r]] = qkv[r * 3 * c + c + i];
                }
                System.arraycopy(qkv, r * 3 * c + 2 * c, caches[r].values[l], positions[r] * c, c);
            }
            boolean last = l == blocks.length - 1;
            int first = last ? n - outputs : 0;                              // rows whose outputs are needed
            if (n - first >= BLAS_ROWS && oneSequence(caches, positions)) {
                attendBlock(qkv, first, n, caches[0].keys[l], caches[0].values[l], positions, y);
            } else {
                for (int r = first; r < n; r++) {
                    attend(qkv, r, caches[r].keys[l], caches[r].values[l], positions[r], y);
                }
            }
            if (first > 0) {                                               // keep rows [first, n): N becomes outputs
                x = Arrays.copyOfRange(x, first * c, n * c);
                y = Arrays.copyOfRange(y, first * c, n * c);
                n = outputs;
            }
            product(y, n, b.proj, x, true);                             // x += [N, C] x [C, C]
            layerNorm(x, b.ln2Gain, b.ln2Bias, a, n);
            feedForwardHidden(a, n, b, h);                                   // gelu([N, C] x [C, F] + b)
            product(h, n, b.ff2, x, true);                              // x += [N, F] x [F, C]
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < c; j++) {
                    x[r * c + j] += b.ff2Bias[j];
                }
            }
        }
        layerNorm(x, lnfGain, lnfBias, a, n);
        return a;
    }

    /**
     * Row r's attention output into {@code y[r]}: per head, softmax over positions 0..p of
     * {@code q . k_s / sqrt(d)}, times the values.
     */
    private void attend(float[] qkv, int r, float[] keys, float[] values, int p, float[] y) {
        int c = width, d = c / heads;
        float root = (float) Math.sqrt(d);
        float[] q = new float[d];
        float[] scores = new float[p + 1];
        Arrays.fill(y, r * c, (r + 1) * c, 0f);
        for (int j = 0; j < heads; j++) {
            for (int e = 0; e < d; e++) {
                q[e] = qkv[r * 3 * c + j * d + e] / root;                         // as the graph: q / sqrt(d), then the product
            }
            Arrays.fill(scores, 0f);
            for (int e = 0; e < d; e++) {
                float qe = q[e];
                int row = (j * d + e) * context;
                for (int s = 0; s <= p; s++) {
                    scores[s] += qe * keys[row + s];
                }
            }
            softmax(scores, 0, p + 1);
            int out = r * c + j * d;
            for (int s = 0; s <= p; s++) {
                float w = scores[s];
                for (int e = 0; e < d; e++) {
                    y[out + e] += w * values[s * c + j * d + e];
                }
            }
        }
    }

    /** Whether the rows are one sequence's consecutive positions (a prefill): they share keys and values. */
    private static boolean oneSequence(KvCache[] caches, int[] positions) {
        for (int r = 1; r < caches.length; r++) {
            if (caches[r] != caches[0] || positions[r] != positions[0] + r) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@link #attend} for rows [from, n) of one sequence at once, per head as two BLAS products: scores
     * {@code (Q / sqrt d) K^T} [rows, P] over the P positions up to the last row's, each row's softmax over its
     * causal prefix, then {@code softmax V} [rows, d]. A 64-row rebuild past the window spent a quarter of its
     * time in {@link #attend}'s short per-row loops.
     */
    private void attendBlock(float[] qkv, int from, int n, float[] keys, float[] values, int[] positions, float[] y) {
        int c = width, d = c / heads, rows = n - from, p = positions[n - 1] + 1;
        float root = (float) Math.sqrt(d);
        INDArray q = scratch(2, rows, d), kt = scratch(3, d, p), v = scratch(4, p, d), s = scratch(5, rows, p), o = scratch(6, rows, d);
        float[] qs = new float[rows * d], block = new float[Math.max(d * p, rows * p)];
        for (int j = 0; j < heads; j++) {
            for (int r = 0; r < rows; r++) {
                for (int e = 0; e < d; e++) {
                    qs[r * d + e] = qkv[(from + r) * 3 * c + j * d + e] / root;          // as the graph: q / sqrt(d)
                }
            }
            write(q, qs, rows * d);
            for (int e = 0; e < d; e++) {                                                 // K^T [d, P]: the cache's rows
                System.arraycopy(keys, (j * d + e) * context, block, e * p, p);
            }
            write(kt, block, d * p);
            for (int t = 0; t < p; t++) {                                                 // V [P, d]
                System.arraycopy(values, t * c + j * d, block, t * d, d);
            }
            write(v, block, p * d);
            Gemm.gemm(q, kt, s, false, false, 1.0, 0.0);
            read(s, block, rows * p);
            for (int r = 0; r < rows; r++) {
                int seen = positions[from + r] + 1;
                softmax(block, r * p, seen);
                Arrays.fill(block, r * p + seen, (r + 1) * p, 0f);                         // the causal mask
            }
            write(s, block, rows * p);
            Gemm.gemm(s, v, o, false, false, 1.0, 0.0);
            read(o, qs, rows * d);
            for (int r = 0; r < rows; r++) {
                System.arraycopy(qs, r * d, y, (from + r) * c + j * d, d);
            }
        }
    }

    /** {@code a[from, from + len)} replaced by its softmax (max subtracted, sums in double). */
    private static void softmax(float[] a, int from, int len) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = from; i < from + len; i++) {
            max = Math.max(max, a[i]);
        }
        double sum = 0;
        for (int i = from; i < from + len; i++) {
            a[i] = (float) Math.exp(a[i] - max);
            sum += a[i];
        }
        for (int i = from; i < from + len; i++) {
            a[i] = (float) (a[i] / sum);
        }
    }

    /** Row r of {@code x} [N, C] times the tied head: logits [V]. */
    private float[] logits(float[] x, int r) {
        float[] z = new float[vocab];
        for (int i = 0; i < width; i++) {
            float s = x[r * width + i];
            for (int v = 0; v < vocab; v++) {
                z[v] += s * head[i * vocab + v];
            }
        }
        return z;
    }

    /** {@code gelu(a ff1 + ff1b)} into h [n, F]. */
    private void feedForwardHidden(float[] a, int n, Block b, float[] h) {
        product(a, n, b.ff1(), h, false);                                          // [n, C] x [C, F]
        float[] bias = b.ff1Bias();
        for (int r = 0; r < n; r++) {
            int o = r * ffWidth;
            for (int j = 0; j < ffWidth; j++) {
                h[o + j] = gelu(h[o + j] + bias[j]);
            }
        }
    }

    /** {@code out (+)= in w}: in [n, k], w [k, m], out [n, m]; BLAS from {@link #BLAS_ROWS} rows, else row updates. */
    private void product(float[] in, int n, Matrix w, float[] out, boolean accumulate) {
        int k = w.k(), m = w.m();
        if (n >= BLAS_ROWS) {
            INDArray a = scratch(0, n, k), p = scratch(1, n, m);
            write(a, in, n * k);
            if (accumulate) {
                write(p, out, n * m);
            }
            Gemm.gemm(a, w.array(), p, false, false, 1.0, accumulate ? 1.0 : 0.0);      // p (+)= [n, k] x [k, m], BLAS
            read(p, out, n * m);
            return;
        }
        if (!accumulate) {
            Arrays.fill(out, 0, n * m, 0f);
        }
        float[] wr = w.rows();
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < k; i++) {
                float s = in[r * k + i];
                int o = r * m, wi = i * m;
                for (int j = 0; j < m; j++) {
                    out[o + j] += s * wr[wi + j];
                }
            }
        }
    }

    /**
     * A [rows, cols] float array for a product's operand (slot 0) or result (slot 1), or one of {@link #attendBlock}'s
     * (2 to 6), kept between calls: a decoder past the window rebuilds the same 64-row block for every token, and a
     * fresh native array per product cost more than the product's copies.
     */
    private INDArray scratch(int slot, int rows, int cols) {
        INDArray a = scratch[slot];
        if (a == null || a.size(0) != rows || a.size(1) != cols) {
            a = Nd4j.createUninitialized(DataType.FLOAT, rows, cols);
            scratch[slot] = a;
        }
        return a;
    }

    /**
     * Copies {@code n} floats of {@code from} into {@code a} (an array of the decoder's own, row-major) and marks the
     * host copy current: a no-op on the CPU backend; on a GPU backend (not run here) ND4J then moves it to the device.
     */
    private static void write(INDArray a, float[] from, int n) {
        a.data().asNioFloat().put(from, 0, n);
        Nd4j.getAffinityManager().tagLocation(a, AffinityManager.Location.HOST);
    }

    /** Copies {@code a}'s first {@code n} floats into {@code to}, the host copy brought up to date first (see {@link #write}). */
    private static void read(INDArray a, float[] to, int n) {
        Nd4j.getAffinityManager().ensureLocation(a, AffinityManager.Location.HOST);
        a.data().asNioFloat().get(to, 0, n);
    }

    /** PyTorch's {@code nn.LayerNorm(C)} on each of n rows: biased variance, eps 1e-5. */
    private void layerNorm(float[] x, float[] gain, float[] bias, float[] out, int n) {
        int c = width;
        for (int r = 0; r < n; r++) {
            double mean = 0;
            for (int j = 0; j < c; j++) {
                mean += x[r * c + j];
            }
            mean /= c;
            double var = 0;
            for (int j = 0; j < c; j++) {
                double t = x[r * c + j] - mean;
                var += t * t;
            }
            float inv = (float) (1.0 / Math.sqrt(var / c + LayerNorm.DEFAULT_EPS));
            for (int j = 0; j < c; j++) {
                out[r * c + j] = (float) (x[r * c + j] - mean) * inv * gain[j] + bias[j];
            }
        }
    }

    /**
     * PyTorch's exact GELU, {@code x/2 (1 + erf(x / sqrt 2))}, written {@code (x + |x| erf(|x| / sqrt 2)) / 2} (erf is
     * odd). Java has no erf; this is Abramowitz and Stegun's 7.1.28, {@code erf(z) = 1 - (1 + a1 z + ... + a6 z^6)^-16}
     * for z >= 0 (error at most 3e-7), in float and without branches or {@code exp}, so that HotSpot vectorizes a
     * loop of it: a 64 x 512 block takes ~10 us, where ND4J's exact GELU (its {@code erf} op, as the graph's
     * {@link dev.kindling.core.layer.ExactGelu}) took ~0.8 ms. Within {@link #GELU_ERROR} x max(1, |x|) of the
     * exact value.
     */
    static float gelu(float x) {
        float ax = Math.abs(x);
        float z = ax * 0.70710678f;
        float p = 1f + z * (0.0705230784f + z * (0.0422820123f + z * (0.0092705272f + z * (0.0001520143f
                + z * (0.0002765672f + z * 0.0000430638f)))));
        float p2 = p * p, p4 = p2 * p2, p8 = p4 * p4;
        return 0.5f * (x + ax * (1f - 1f / (p8 * p8)));
    }

    /** {@link #gelu}'s largest error, relative to max(1, |x|): the approximation's 3e-7 in erf and float rounding. */
    static final double GELU_ERROR = 5e-7;

    private static float[] floats(Map<String, INDArray> params, String key) {
        return Nd4j.toFlattened('c', param(params, key)).toFloatVector();
    }

    private static Matrix matrix(Map<String, INDArray> params, String key) {
        return new Matrix(param(params, key));
    }

    /** A float copy of one parameter. */
    private static INDArray param(Map<String, INDArray> params, String key) {
        INDArray a = params.get(key);
        if (a == null) {
            throw new IllegalArgumentException("GPT parameter " + key + ": missing; present: " + params.keySet());
        }
        return a.castTo(DataType.FLOAT).dup('c');
    }

    /** [rows, cols] row-major to [cols, rows] row-major. */
    private static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = a[i * cols + j];
            }
        }
        return t;
    }
}
