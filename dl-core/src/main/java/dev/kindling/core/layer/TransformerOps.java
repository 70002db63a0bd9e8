package dev.kindling.core.layer;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The seed's Transformer pieces as SameDiff graph functions, shared by {@link CausalSelfAttention}
 * and {@link GptLayer}. Activations are kept flat as {@code [N, C]} with {@code N = B * T} rows in
 * (batch, time) order; attention alone reshapes to heads. Seed: "The Architecture That Powers Modern
 * AI", classes MultiHeadAttention and TransformerBlock.
 *
 * <p>libnd4j's fused {@code dot_product_attention} op (M2.1) takes only a key padding mask, no causal
 * mask, so the scaled dot product is written out as in the seed (its torch 1.13 version does the same).
 */
public final class TransformerOps {
    /** Added to masked attention scores; exp(-1e9) is 0 in float and double. */
    static final double MASKED = -1e9;

    /**
     * Multi-head self-attention, the seed's {@code MultiHeadAttention.forward}.
     *
     * @param x       [N, C] with N = B * T
     * @param wQkv    [C, 3C] fused Q, K, V projection (no bias)
     * @param wProj   [C, C] output projection (no bias)
     * @param t       sequence length T
     * @param heads   head count h (divides C)
     * @param causal  whether position t attends only to positions <= t
     * @param dropout  attention dropout probability (0 disables; training path only)
     * @param maxBatch upper bound of B (sizes the dropout mask)
     * @param keyBias  [B, 1, 1, T] added to the scores (0 for real keys, {@link #MASKED} for padding), or null
     * @param matmuls  what the matrix products' operands are rounded to ({@link #matmul}): FLOAT, or BFLOAT16 for --precision=bf16
     * @return [N, C]
     */
    public static SDVariable attention(SameDiff sd, SDVariable x, SDVariable wQkv, SDVariable wProj, int t, int heads,
                                       boolean causal, double dropout, int maxBatch, SDVariable keyBias, DataType matmuls) {
        long c = wProj.getShape()[0];
        long d = c / heads;
        // Q, K and V from the fused weight's column blocks, not column blocks of one [N, 3C] product: slicing
        // the [C, 3C] weight copies far less than slicing the activation, in the forward and in its gradient
        // 1/sqrt(d) on Q's weight block ([C, C]) instead of on the queries ([B, h, T, d]) or the scores ([B, h, T, T])
        SDVariable wQ = wQkv.get(SDIndex.all(), SDIndex.interval(0L, c)).mul(1 / Math.sqrt(d));
        SDVariable q = heads(sd, matmul(sd, x, wQ, false, matmuls), t, heads, d);
        SDVariable k = heads(sd, matmul(sd, x, wQkv.get(SDIndex.all(), SDIndex.interval(c, 2 * c)), false, matmuls), t, heads, d);
        // dropout's 1/(1-p) on V's weight block ([C, C]) instead of on the attention weights ([B, h, T, T]): y = (A M) V / (1-p)
        SDVariable wV = wQkv.get(SDIndex.all(), SDIndex.interval(2 * c, 3 * c));
        SDVariable v = heads(sd, matmul(sd, x, dropout > 0 ? wV.mul(keptScale(dropout)) : wV, false, matmuls), t, heads, d);
        SDVariable scores = matmul(sd, q, k, true, matmuls);                             // [B, h, T, T], scaled
        if (causal) {
            scores = causallyMasked(sd, scores, t, heads, maxBatch);                    // [B, h, T, T]
        }
        if (keyBias != null) {
            scores = scores.add(keyBias);                                               // [B, h, T, T] + [B, 1, 1, T]
        }
        SDVariable att = kept(sd, sd.nn.softmax(scores, 3), dropout, maxBatch, heads, t, t); // [B, h, T, T], unscaled
        SDVariable y = matmul(sd, att, v, false, matmuls);                               // [B, h, T, d]
        y = sd.reshape(sd.permute(y, 0, 2, 1, 3), -1L, c);                              // [B, T, h, d] -> [N, C]
        return matmul(sd, y, wProj, false, matmuls);                                     // [N, C]
    }

    /**
     * {@code a b} (or {@code a b^T}) with both operands rounded to {@code type} first, the product accumulated in
     * the graph's type: PyTorch autocast's half-precision matmul as tensor cores compute it (half operands, fp32
     * sums), and as x86 without half-precision arithmetic can. In backprop each operand's gradient is rounded to
     * {@code type} too (the cast's gradient). FLOAT (or the graph's own type): the plain product.
     */
    public static SDVariable matmul(SameDiff sd, SDVariable a, SDVariable b, boolean transposeB, DataType type) {
        return sd.mmul(rounded(a, type), rounded(b, type), false, transposeB, false);
    }

    private static SDVariable rounded(SDVariable v, DataType type) {
        return type == DataType.FLOAT || type == v.dataType() ? v : v.castTo(type).castTo(v.dataType());
    }

    /**
     * The seed's pre-LN {@code TransformerBlock}: {@code x + attn(ln1(x))}, then {@code x + ff(ln2(x))} with
     * ff = Linear(C, F), GELU, Dropout, Linear(F, C), Dropout. Parameters are read from {@code p} under
     * {@code prefix} + ln1g, ln1b, attnqkv, attnproj, ln2g, ln2b, ff1w, ff1b, ff2w, ff2b.
     *
     * @param x [N, C]
     * @param ones [N, 1] of ones ({@link #onesColumn}), for the row vectors' products ({@link #perRow})
     * @param matmuls what the matrix products' operands are rounded to ({@link #matmul})
     * @return [N, C]
     */
    public static SDVariable block(SameDiff sd, SDVariable x, java.util.Map<String, SDVariable> p, String prefix, int t, int heads,
                                   boolean causal, double drop, int maxBatch, SDVariable keyBias, SDVariable ones, DataType matmuls) {
        long rows = (long) maxBatch * t;
        long c = p.get(prefix + "attnproj").getShape()[0];
        SDVariable a = layerNorm(sd, x, p.get(prefix + "ln1g"), p.get(prefix + "ln1b"), ones);
        // the seed drops attention weights, not the projection's output
        x = x.add(attention(sd, a, p.get(prefix + "attnqkv"), p.get(prefix + "attnproj"), t, heads, causal, drop, maxBatch, keyBias,
                matmuls));
        SDVariable h = layerNorm(sd, x, p.get(prefix + "ln2g"), p.get(prefix + "ln2b"), ones);
        h = feedForward(sd, h, p.get(prefix + "ff1w"), p.get(prefix + "ff1b"), p.get(prefix + "ff2w"), p.get(prefix + "ff2b"), drop, rows,
                ones, matmuls);
        return x.add(dropout(sd, h, drop, rows, c));
    }

    /**
     * The seed's feed-forward, {@code Linear(C, F), GELU, Dropout, Linear(F, C)}: [N, C] to [N, C] (the block's dropout
     * after it is the caller's).
     *
     * @param maxRows an upper bound of N (sizes the dropout mask)
     */
    static SDVariable feedForward(SameDiff sd, SDVariable x, SDVariable w1, SDVariable b1, SDVariable w2, SDVariable b2, double drop,
                                  long maxRows, SDVariable ones, DataType matmuls) {
        // GELU(z) = (1/sqrt 2) u (1 + erf(u)) with u = z / sqrt 2: u comes straight out of the first product (w1 and b1
        // scaled, [C, F] and [1, F], not [N, F]); the 1/sqrt 2 and dropout's 1/(1-p) ride on the second weight ([F, C]).
        // Three passes over [N, F] fewer each way than GELU and dropout written out
        SDVariable u = matmul(sd, x, w1.mul(SQRT_HALF), false, matmuls).add(perRow(ones, b1.mul(SQRT_HALF)));  // [N, F]
        SDVariable h = kept(sd, geluOfScaled(sd, u), drop, maxRows, w1.getShape()[1]);
        return matmul(sd, h, w2.mul(SQRT_HALF * keptScale(drop)), false, matmuls).add(perRow(ones, b2));       // [N, C]
    }

    /** Declares one block's parameters (see {@link #block}) under {@code prefix}. */
    public static void defineBlock(org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams params, String prefix, int width, int ffWidth) {
        params.addWeightParam(prefix + "ln1g", 1, width);
        params.addBiasParam(prefix + "ln1b", 1, width);
        params.addWeightParam(prefix + "attnqkv", width, 3L * width);
        params.addWeightParam(prefix + "attnproj", width, width);
        params.addWeightParam(prefix + "ln2g", 1, width);
        params.addBiasParam(prefix + "ln2b", 1, width);
        params.addWeightParam(prefix + "ff1w", width, ffWidth);
        params.addBiasParam(prefix + "ff1b", 1, ffWidth);
        params.addWeightParam(prefix + "ff2w", ffWidth, width);
        params.addBiasParam(prefix + "ff2b", 1, width);
    }

    /** Token and position embedding tables, shared by every transformer body. */
    public static final String WTE = "wte";
    public static final String WPE = "wpe";

    /**
     * Token ids {@code [B, T]} to token plus position embeddings {@code [N, C]} (N = B x T). Lookups are
     * one-hot products: M2.1's Gather gradient builds a loop that fails in a layer graph.
     */
    public static SDVariable embed(SameDiff sd, SDVariable input, java.util.Map<String, SDVariable> p, int vocab, int context, int width) {
        int t = Math.toIntExact(input.getShape()[1]);
        if (t > context) {
            throw new IllegalArgumentException("sequence length T=" + t + ": must be <= context=" + context);
        }
        SDVariable ids = sd.reshape(input.castTo(DataType.INT), -1L);                     // [N]
        SDVariable tok = sd.oneHot(ids, vocab, 1, 1.0, 0.0, input.dataType()).mmul(p.get(WTE)); // [N, V] x [V, C]
        SDVariable pos = t == context ? p.get(WPE) : p.get(WPE).get(SDIndex.interval(0, t));    // [T, C]
        return sd.reshape(sd.reshape(tok, -1L, t, width).add(pos), -1L, width);           // ([B, T, C] + [T, C]) as [N, C]
    }

    /**
     * Embedding dropout, the pre-LN blocks and the final LayerNorm: {@code [N, C]} to {@code [N, C]}; the blocks'
     * matrix products with operands rounded to {@code matmuls} ({@link #matmul}).
     */
    public static SDVariable body(SameDiff sd, SDVariable x, java.util.Map<String, SDVariable> p, int layers, int t, int heads,
                                  boolean causal, double drop, int maxBatch, int width, SDVariable keyBiasOrNull, DataType matmuls) {
        x = dropout(sd, x, drop, (long) maxBatch * t, width);
        SDVariable ones = onesColumn(sd, x, (long) maxBatch * t);
        for (int i = 0; i < layers; i++) {
            x = block(sd, x, p, "h" + i, t, heads, causal, drop, maxBatch, keyBiasOrNull, ones, matmuls);
        }
        return layerNorm(sd, x, p.get("lnfg"), p.get("lnfb"), ones);
    }

    /** The body's parameters, in saved order: embeddings, blocks, final LayerNorm. */
    public static void defineBody(org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams params, int vocab, int context, int layers,
                                  int width, int ffWidth) {
        params.addWeightParam(WTE, vocab, width);
        params.addWeightParam(WPE, context, width);
        for (int i = 0; i < layers; i++) {
            defineBlock(params, "h" + i, width, ffWidth);
        }
        params.addWeightParam("lnfg", 1, width);
        params.addBiasParam("lnfb", 1, width);
    }

    /**
     * The seed's {@code _init_weights}: N(0, 0.02) for Linear and Embedding weights, 0 for biases; LayerNorm
     * gains 1 and biases 0. Keys ending in {@code g} are gains, in {@code b} biases.
     */
    public static void initialize(java.util.Map<String, INDArray> params) {
        for (java.util.Map.Entry<String, INDArray> e : params.entrySet()) {
            String k = e.getKey();
            INDArray a = e.getValue();
            if (k.endsWith("g")) {
                a.assign(1.0);
            } else if (k.endsWith("b")) {
                a.assign(0.0);
            } else {
                a.assign(Nd4j.randn(a.dataType(), a.shape()).muli(INIT_STD));
            }
        }
    }

    /** The seed's init: N(0, 0.02). */
    public static final double INIT_STD = 0.02;

    /** [N, C] slice of one of Q, K, V to [B, h, T, d]. */
    private static SDVariable heads(SameDiff sd, SDVariable part, int t, int heads, long d) {
        return sd.permute(sd.reshape(part, -1L, t, heads, d), 0, 2, 1, 3);              // [B, T, h, d] -> [B, h, T, d]
    }

    /**
     * {@code scores} [B, h, T, T] plus the causal mask on every (batch, head) pair, from a constant of the largest
     * batch's shape cut to the scores' (as {@link #dropout}'s masks): a same-shape add, whose gradient is the scores'
     * own. A broadcast add of the [T, T] mask would sum the scores' gradient over batch and heads into the mask's (a
     * constant's) gradient, libnd4j's strided reduction along leading axes: 6 ms a block of the seed GPT (4% of its
     * step). Without a batch bound ({@code maxBatch} 0) the broadcast add.
     */
    static SDVariable causallyMasked(SameDiff sd, SDVariable scores, int t, int heads, int maxBatch) {
        if (maxBatch <= 0) {
            return scores.add(sd.constant(causalMask(t, scores.dataType())));             // [B, h, T, T] + [T, T]
        }
        String name = "causalMask" + maxBatch + "x" + heads + "x" + t;   // one constant for every block and both paths
        SDVariable full = sd.hasVariable(name) ? sd.getVariable(name)
                : sd.constant(name, Nd4j.createUninitialized(scores.dataType(), maxBatch, heads, t, t)
                        .assign(causalMask(t, scores.dataType()).reshape(1, 1, t, t).broadcast(maxBatch, heads, t, t)));
        return scores.add(cutTo(sd, full, scores, 4));                                   // [B, h, T, T]
    }

    /** {@code bounded} (of rank {@code rank}), drawn or built at an upper bound of {@code like}'s shape, cut to {@code like}'s (dynamic) shape. */
    private static SDVariable cutTo(SameDiff sd, SDVariable bounded, SDVariable like, int rank) {
        SDVariable begin = sd.constant(Nd4j.zeros(DataType.INT, rank));
        return sd.slice(bounded, begin, sd.shape(like).castTo(DataType.INT));
    }

    /** [T, T]: 0 where key position <= query position, {@link #MASKED} above the diagonal. */
    static INDArray causalMask(int t, DataType type) {
        INDArray m = Nd4j.zeros(type, t, t);
        for (int i = 0; i < t; i++) {
            for (int j = i + 1; j < t; j++) {
                m.putScalar(i, j, MASKED);
            }
        }
        return m;
    }

    /** PyTorch's {@code nn.LayerNorm(C)} over axis 1 of [N, C]: biased variance, eps 1e-5. */
    public static SDVariable layerNorm(SameDiff sd, SDVariable x, SDVariable gain, SDVariable bias, SDVariable ones) {
        SDVariable centered = x.sub(x.mean(true, 1));                                   // [N, C]
        SDVariable var = centered.mul(centered).mean(true, 1);                          // [N, 1]
        SDVariable inverse = sd.math().rsqrt(var.add(LayerNorm.DEFAULT_EPS));                    // [N, 1]
        // centered * (1/sqrt(var + eps) x gain): the row scale and the gain as one outer product [N, 1] x [1, C], then
        // one elementwise product. A broadcast division's gradient (divide_bp, [N, C] by [N, 1]) costs 1.9 ms a call on
        // the seed GPT's [2048, 256]; the scale and the gain as two products and two multiplies cost one of each more
        return centered.mul(inverse.mmul(gain)).add(perRow(ones, bias));              // [N, C]
    }

    /**
     * A row vector {@code v} [1, F] repeated on every row, {@code ones [N, 1] x v}: what a broadcast
     * {@code [N, F] + [1, F]} adds, but with {@code v}'s gradient as one product {@code ones^T x dL/dy}.
     * The broadcast's gradient is libnd4j's reduction along axis 0, one strided column at a time:
     * 12.6 ms for [2048, 1024] on one thread against 0.11 ms for the product (M2.1), about 9% of the
     * seed-size GPT's step over its biases and LayerNorm gains.
     */
    static SDVariable perRow(SDVariable ones, SDVariable v) {
        return ones.mmul(v);
    }

    /** [N, 1] of ones for {@code x}'s N rows: a constant column of {@code maxRows} cut to N (not differentiated). */
    static SDVariable onesColumn(SameDiff sd, SDVariable x, long maxRows) {
        SDVariable all = sd.constant(Nd4j.ones(x.dataType(), maxRows, 1));
        SDVariable begin = sd.constant(Nd4j.zeros(DataType.INT, 2));
        SDVariable size = sd.concat(0, sd.shape(x).castTo(DataType.INT).get(SDIndex.interval(0, 1)),
                sd.constant(Nd4j.createFromArray(1)));                                   // [N, 1]
        return sd.slice(all, begin, size);
    }

    /** 1/sqrt 2. */
    private static final double SQRT_HALF = Math.sqrt(0.5);

    /**
     * {@code u (1 + erf(u))} of {@code u = z / sqrt 2}: sqrt 2 times PyTorch's exact {@code nn.GELU()} of z
     * ({@code 0.5 z (1 + erf(z / sqrt 2))}), for a caller that makes u where it costs least and folds the 1/sqrt 2
     * into a later scale.
     */
    static SDVariable geluOfScaled(SameDiff sd, SDVariable u) {
        return u.mul(sd.math().erf(u).add(1.0));
    }

    /**
     * Inverted dropout with drop probability {@code p}, as PyTorch's {@code nn.Dropout}: kept values are
     * scaled by 1/(1-p) ({@link #kept}, then the scale).
     *
     * @param maxShape an upper bound of {@code x}'s shape, axis by axis
     */
    public static SDVariable dropout(SameDiff sd, SDVariable x, double p, long... maxShape) {
        return p <= 0 ? x : kept(sd, x, p, maxShape).mul(keptScale(p));
    }

    /**
     * {@code x} times dropout's 0/1 keep mask (drop probability {@code p}), not scaled: for a caller that applies
     * {@link #keptScale} where it costs least, on a weight the product with {@code x} meets. The mask is drawn at
     * {@code maxShape} and cut to {@code x}'s (dynamic) shape: M2.1's random ops with a dynamic shape draw the same
     * mask on every execution, the fixed-shape ones draw a fresh one. The mask has no floating-point path back to
     * {@code x}, so autodiff treats it as a constant and gradients flow only through the kept values.
     *
     * @param maxShape an upper bound of {@code x}'s shape, axis by axis
     */
    static SDVariable kept(SameDiff sd, SDVariable x, double p, long... maxShape) {
        if (p <= 0) {
            return x;
        }
        SDVariable keep = sd.random().bernoulli(1.0 - p, x.dataType(), maxShape);           // maxShape, 1 with prob 1-p
        return x.mul(cutTo(sd, keep, x, maxShape.length));                                // x's shape
    }

    /** Inverted dropout's scale of the kept values, 1/(1-p) (1 when nothing is dropped). */
    static double keptScale(double p) {
        return p > 0 ? 1 / (1 - p) : 1;
    }

    private TransformerOps() {}
}
