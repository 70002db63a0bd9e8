package dev.kindling.core.layer;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The seed MLP's hidden layers as one DL4J layer: Linear(d, h), LayerNorm(h), ReLU, Dropout, Linear(h, h/2), ReLU.
 * As five DL4J layers a training step of the seed's MLP(20, 128) ran ~100 ND4J operations, each costing more in ND4J's
 * allocation of its output and shape buffers than in arithmetic (the MLP at h = 2 stepped barely faster than at
 * h = 128). Here the four products go to BLAS ({@link Gemm}) and everything between them (biases, LayerNorm,
 * ReLU, dropout and their gradients) runs in Java over the minibatch's rows, in double whatever the network's type.
 * The same function and parameters as the five layers ({@code MlpTest} checks outputs and gradients against them).
 *
 * <pre>
 * parameter  shape      as the five layers'
 * fc1W       [d, h]     fc1 W     weights drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's Linear default
 * fc1b       [1, h]     fc1 b     biases 0
 * ln1g       [1, h]     ln1 g     1; eps 1e-5, biased variance
 * ln1b       [1, h]     ln1 b     0
 * fc2W       [h, h/2]   fc2 W
 * fc2b       [1, h/2]   fc2 b
 * </pre>
 * Dropout (drop probability p, between the first ReLU and fc2, inverted: kept units scaled by 1/(1-p)) draws its mask
 * from a generator seeded by ND4J's random generator, so a step's mask follows ND4J's seed as DL4J's dropout does.
 * Under {@code --precision=bf16|fp16} the products' operands are rounded ({@link HalfPrecisionMatmuls}); under fp16
 * the backward runs on loss-scaled gradients ({@link LossScaled}).
 */
public final class MlpTrunk extends FeedForwardLayer implements HalfPrecisionMatmuls {
    private static final long serialVersionUID = 1L;
    public static final String FC1_W = "fc1W", FC1_B = "fc1b", LN_GAIN = "ln1g", LN_BIAS = "ln1b", FC2_W = "fc2W", FC2_B = "fc2b";

    @JsonProperty private int hidden;
    @JsonProperty private double dropout;
    @JsonProperty private double eps = LayerNorm.DEFAULT_EPS;
    @JsonProperty private DataType matmuls = DataType.FLOAT;
    @JsonProperty private double initialLossScale = 1.0;

    /** For JSON. */
    public MlpTrunk() {
        setActivationFn(Activation.IDENTITY.getActivationFunction());
    }

    /**
     * @param inputs  feature width d (>= 1)
     * @param hidden  first hidden width h (even, >= 2); the output is h/2 wide
     * @param dropout drop probability before the second Linear, in [0, 1)
     */
    public MlpTrunk(int inputs, int hidden, double dropout) {
        this();
        if (inputs < 1 || hidden < 2 || hidden % 2 != 0 || !(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("MlpTrunk(inputs=" + inputs + ", hidden=" + hidden + ", dropout=" + dropout
                    + "): inputs >= 1, hidden even and >= 2, dropout in [0, 1)");
        }
        this.nIn = inputs;
        this.nOut = hidden / 2;
        this.hidden = hidden;
        this.dropout = dropout;
    }

    public int getHidden() {
        return hidden;
    }

    public double getDropout() {
        return dropout;
    }

    @Override
    public void setMatmuls(DataType type) {
        this.matmuls = type;
    }

    @Override
    public DataType getMatmuls() {
        return matmuls;
    }

    @Override
    public void setInitialLossScale(double scale) {
        this.initialLossScale = HalfPrecisionMatmuls.checkedLossScale(getLayerName(), scale);
    }

    @Override
    public double getInitialLossScale() {
        return initialLossScale;
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                                                      INDArray paramsView, boolean initializeParams, DataType dataType) {
        return LayerWiring.wire(new Impl(conf, dataType), initializer(), conf, listeners, layerIndex, paramsView, initializeParams);
    }

    @Override
    public ParamInitializer initializer() {
        return Params.INSTANCE;
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        long params = Params.INSTANCE.numParams(this);
        return new LayerMemoryReport.Builder(layerName, MlpTrunk.class, inputType, InputType.feedForward(nOut))
                .standardMemory(params, getIUpdater() == null ? 0 : getIUpdater().stateSize(params))
                .workingMemory(0, 2L * hidden, 0, 6L * hidden)   // per example: the hidden rows in flight
                .cacheMemory(0, 0)
                .build();
    }

    /**
     * A training forward pass's values, what its backward needs (row-major, B rows).
     *
     * @param xhat  [B, h] LayerNorm's normalized input
     * @param std   [B] sqrt(var + eps) of each row
     * @param y     [B, h] LayerNorm's output (before the ReLU)
     * @param kept  [B, h] dropout's factor per unit: 0 or 1/(1-p); null without dropout
     * @param out   [B, h/2] the layer's output (after the second ReLU)
     * @param params the layer's parameters, flat in {@link Params}' order
     */
    private record Forward(double[] xhat, double[] std, double[] y, double[] kept, double[] out, double[] params) {}

    /** The layer: forward and backward as four BLAS products and Java loops between them. */
    static final class Impl extends BaseLayer<MlpTrunk> implements LossScaled {
        private final LayerLossScale lossScale;
        /** The last training forward pass and its input, for the backprop that follows it. */
        private Forward cached;
        private INDArray cachedInput;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
            this.lossScale = new LayerLossScale(conf.getLayer().getLayerName(), ((MlpTrunk) conf.getLayer()).getInitialLossScale());
        }

        @Override
        public LayerLossScale lossScale() {
            return lossScale;
        }

        private MlpTrunk trunk() {
            return layerConf();
        }

        /** A product's operand as --precision takes it ({@link StepSlabs#operand}). */
        private INDArray operand(INDArray a) {
            return StepSlabs.operand(a, trunk().getMatmuls());
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
            assertInputSet(false);
            applyDropOutIfNecessary(training, mgr);
            Forward f = forward(training, mgr);
            cached = training ? f : null;
            cachedInput = training ? input : null;
            INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[] {input.size(0), trunk().getNOut()}, 'c');
            put(f.out(), out);
            return out;
        }

        private Forward forward(boolean training, LayerWorkspaceMgr mgr) {
            int b = (int) input.size(0), h = trunk().getHidden(), h2 = h / 2;
            INDArray x = input.castTo(dataType);
            INDArray z1 = mgr.createUninitialized(ArrayType.FF_WORKING_MEM, dataType, new long[] {b, h}, 'c');
            Gemm.gemm(operand(x), operand(getParam(FC1_W)), z1, false, false, 1.0, 0.0);     // x fc1W
            double[] z = values(z1);
            double[] p = values(params());                                                    // every parameter, one bulk copy
            int bias1 = Params.offset(trunk(), FC1_B), gain = Params.offset(trunk(), LN_GAIN), shift = Params.offset(trunk(), LN_BIAS);
            double[] xhat = new double[b * h], std = new double[b], y = new double[b * h];
            double eps = trunk().eps;
            for (int r = 0; r < b; r++) {
                int o = r * h;
                double mean = 0;
                for (int j = 0; j < h; j++) {
                    z[o + j] += p[bias1 + j];
                    mean += z[o + j];
                }
                mean /= h;
                double var = 0;
                for (int j = 0; j < h; j++) {
                    double c = z[o + j] - mean;
                    var += c * c;
                }
                std[r] = Math.sqrt(var / h + eps);
                for (int j = 0; j < h; j++) {
                    xhat[o + j] = (z[o + j] - mean) / std[r];
                    y[o + j] = p[gain + j] * xhat[o + j] + p[shift + j];
                }
            }
            double[] kept = training && trunk().getDropout() > 0 ? mask(b * h, trunk().getDropout()) : null;
            INDArray a1 = mgr.createUninitialized(ArrayType.FF_WORKING_MEM, dataType, new long[] {b, h}, 'c');
            put(dropped(y, kept), a1);
            INDArray z2 = mgr.createUninitialized(ArrayType.FF_WORKING_MEM, dataType, new long[] {b, h2}, 'c');
            Gemm.gemm(operand(a1), operand(getParam(FC2_W)), z2, false, false, 1.0, 0.0);   // dropout(relu(y)) fc2W
            double[] out = values(z2);
            int bias2 = Params.offset(trunk(), FC2_B);
            for (int r = 0; r < b; r++) {
                for (int j = 0; j < h2; j++) {
                    out[r * h2 + j] = Math.max(0, out[r * h2 + j] + p[bias2 + j]);
                }
            }
            return new Forward(xhat, std, y, kept, out, p);
        }

        /** relu(y) times dropout's factors ({@code kept}, or 1 without dropout): the second product's input. */
        private static double[] dropped(double[] y, double[] kept) {
            double[] a = new double[y.length];
            for (int i = 0; i < y.length; i++) {
                a[i] = Math.max(0, y[i]) * (kept == null ? 1 : kept[i]);
            }
            return a;
        }

        /** n dropout factors: 1/(1-p) with probability 1-p, else 0, from a generator seeded by ND4J's. */
        private static double[] mask(int n, double p) {
            SplittableRandom rng = new SplittableRandom(Nd4j.getRandom().nextLong());
            double keep = 1 - p, scale = 1 / keep;
            double[] m = new double[n];
            for (int i = 0; i < n; i++) {
                m[i] = rng.nextDouble() < keep ? scale : 0;
            }
            return m;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
            assertInputSet(true);
            Forward f = cached != null && cachedInput == input ? cached : forward(true, mgr);
            cached = null;
            cachedInput = null;
            int b = (int) input.size(0), d = (int) input.size(1), h = trunk().getHidden(), h2 = h / 2;
            double scale = lossScale.perExample(b);   // LossScaled: in, and out again below
            ArrayType memory = ArrayType.BP_WORKING_MEM;

            double[] dz2 = values(epsilon.castTo(dataType));                                // through the second ReLU
            for (int i = 0; i < dz2.length; i++) {
                dz2[i] = f.out()[i] > 0 ? dz2[i] * scale : 0;
            }
            INDArray dz2Array = put(dz2, mgr.createUninitialized(memory, dataType, new long[] {b, h2}, 'c'));
            INDArray a1 = put(dropped(f.y(), f.kept()), mgr.createUninitialized(memory, dataType, new long[] {b, h}, 'c'));
            // the weights' gradients straight into their views of the flat gradient; the rest in one pass below
            Gemm.gemm(operand(a1), operand(dz2Array), gradientViews.get(FC2_W), true, false, 1.0, 0.0);    // a1^T dz2
            INDArray da1 = mgr.createUninitialized(memory, dataType, new long[] {b, h}, 'c');
            Gemm.gemm(operand(dz2Array), operand(getParam(FC2_W)), da1, false, true, 1.0, 0.0);         // dz2 fc2W^T

            // through dropout, the first ReLU and LayerNorm: dy, then dz1 = (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) / std
            double[] dy = values(da1);
            int gain = Params.offset(trunk(), LN_GAIN);
            // fc1b, ln1g and ln1b lie next to each other in the flat gradient (Params.KEYS): one [1, 3h] block
            int block = Params.offset(trunk(), FC1_B);
            int dBias1 = 0, dGain = gain - block, dShift = Params.offset(trunk(), LN_BIAS) - block;
            double[] dBlock = new double[3 * h];
            double[] dz1 = new double[b * h];
            for (int r = 0; r < b; r++) {
                int o = r * h;
                double meanD = 0, meanDx = 0;
                for (int j = 0; j < h; j++) {
                    int i = o + j;
                    dy[i] = f.y()[i] > 0 ? dy[i] * (f.kept() == null ? 1 : f.kept()[i]) : 0;
                    dBlock[dGain + j] += dy[i] * f.xhat()[i];
                    dBlock[dShift + j] += dy[i];
                    double dxhat = dy[i] * f.params()[gain + j];
                    meanD += dxhat;
                    meanDx += dxhat * f.xhat()[i];
                }
                meanD /= h;
                meanDx /= h;
                for (int j = 0; j < h; j++) {
                    int i = o + j;
                    dz1[i] = (dy[i] * f.params()[gain + j] - meanD - f.xhat()[i] * meanDx) / f.std()[r];
                    dBlock[dBias1 + j] += dz1[i];
                }
            }
            INDArray dz1Array = put(dz1, mgr.createUninitialized(memory, dataType, new long[] {b, h}, 'c'));
            INDArray x = input.castTo(dataType);
            Gemm.gemm(operand(x), operand(dz1Array), gradientViews.get(FC1_W), true, false, 1.0, 0.0);     // x^T dz1
            INDArray dx = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, new long[] {b, d}, 'c');
            Gemm.gemm(operand(dz1Array), operand(getParam(FC1_W)), dx, false, true, 1.0, 0.0);          // dz1 fc1W^T
            gradientsFlattened.reshape(1, gradientsFlattened.length()).get(NDArrayIndex.interval(0, 1), NDArrayIndex.interval(block, block + 3L * h))
                    .assign(put(dBlock, mgr.createUninitialized(memory, dataType, new long[] {1, 3L * h}, 'c')));
            gradientViews.get(FC2_B).assign(put(columnSums(dz2, b, h2), mgr.createUninitialized(memory, dataType, new long[] {1, h2}, 'c')));
            if (scale != 1.0) {
                gradientsFlattened.divi(scale);
                dx.divi(scale);
            }
            Gradient g = new DefaultGradient();
            for (String key : Params.KEYS) {
                g.gradientForVariable().put(key, gradientViews.get(key));
            }
            return new Pair<>(g, backpropDropOutIfPresent(dx));
        }

        /** Column sums of a row-major [rows, cols] array. */
        private static double[] columnSums(double[] a, int rows, int cols) {
            double[] s = new double[cols];
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < cols; j++) {
                    s[j] += a[r * cols + j];
                }
            }
            return s;
        }

        @Override
        public boolean isPretrainLayer() {
            return false;
        }

        @Override
        public boolean hasBias() {
            return true;
        }
    }

    /**
     * {@code a}'s values in row-major order as doubles, read in bulk (a copy of {@code a} first when it is a view). The
     * host copy is brought up to date first: a no-op on the CPU backend; on a GPU backend (not run here) the device's.
     */
    static double[] values(INDArray a) {
        INDArray c = a.isView() || a.ordering() != 'c' ? a.dup('c') : a;
        Nd4j.getAffinityManager().ensureLocation(c, AffinityManager.Location.HOST);
        int n = (int) c.length();
        double[] out = new double[n];
        if (c.dataType() == DataType.DOUBLE) {
            c.data().asNioDouble().get(out, 0, n);
        } else {
            FloatBuffer fb = c.data().asNioFloat();
            for (int i = 0; i < n; i++) {
                out[i] = fb.get(i);
            }
        }
        return out;
    }

    /** Writes {@code src} (row-major) into {@code dst}, an array of its own (not a view), in bulk, and marks the host copy as the current one; returns {@code dst}. */
    static INDArray put(double[] src, INDArray dst) {
        if (dst.isView() || dst.ordering() != 'c' || dst.length() != src.length) {
            throw new IllegalArgumentException("MlpTrunk.put: into " + dst.shapeInfoToString() + " from " + src.length + " values");
        }
        if (dst.dataType() == DataType.DOUBLE) {
            DoubleBuffer db = dst.data().asNioDouble();
            db.put(0, src);
        } else {
            FloatBuffer fb = dst.data().asNioFloat();
            for (int i = 0; i < src.length; i++) {
                fb.put(i, (float) src[i]);
            }
        }
        Nd4j.getAffinityManager().tagLocation(dst, AffinityManager.Location.HOST);
        return dst;
    }

    /** The six parameters in the order of the table above, each a row-major view of the layer's slice. */
    static final class Params implements ParamInitializer {
        static final Params INSTANCE = new Params();
        private static final List<String> KEYS = List.of(FC1_W, FC1_B, LN_GAIN, LN_BIAS, FC2_W, FC2_B);

        /** Where {@code key} starts in the layer's flat parameters (and gradient). */
        static int offset(MlpTrunk t, String key) {
            long[][] shapes = shapes(t);
            long at = 0;
            for (int i = 0; !KEYS.get(i).equals(key); i++) {
                at += shapes[i][0] * shapes[i][1];
            }
            return (int) at;
        }

        private static long[][] shapes(MlpTrunk t) {
            long d = t.getNIn(), h = t.getHidden();
            return new long[][] {{d, h}, {1, h}, {1, h}, {1, h}, {h, h / 2}, {1, h / 2}};
        }

        @Override
        public long numParams(NeuralNetConfiguration conf) {
            return numParams(conf.getLayer());
        }

        @Override
        public long numParams(Layer layer) {
            long n = 0;
            for (long[] s : shapes((MlpTrunk) layer)) {
                n += s[0] * s[1];
            }
            return n;
        }

        @Override
        public List<String> paramKeys(Layer layer) {
            return KEYS;
        }

        @Override
        public List<String> weightKeys(Layer layer) {
            return List.of(FC1_W, LN_GAIN, FC2_W);
        }

        @Override
        public List<String> biasKeys(Layer layer) {
            return List.of(FC1_B, LN_BIAS, FC2_B);
        }

        @Override
        public boolean isWeightParam(Layer layer, String key) {
            return weightKeys(layer).contains(key);
        }

        @Override
        public boolean isBiasParam(Layer layer, String key) {
            return biasKeys(layer).contains(key);
        }

        @Override
        public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
            Map<String, INDArray> m = views(conf, paramsView);
            if (initializeParams) {
                MlpTrunk t = (MlpTrunk) conf.getLayer();
                uniform(m.get(FC1_W), t.getNIn());
                m.get(FC1_B).assign(0.0);
                m.get(LN_GAIN).assign(1.0);
                m.get(LN_BIAS).assign(0.0);
                uniform(m.get(FC2_W), t.getHidden());
                m.get(FC2_B).assign(0.0);
            }
            return m;
        }

        /** U(-1/sqrt(fanIn), 1/sqrt(fanIn)) from ND4J's generator (seeded by the network), PyTorch's Linear default. */
        private static void uniform(INDArray w, long fanIn) {
            double bound = 1.0 / Math.sqrt(fanIn);
            w.assign(Nd4j.rand(w.dataType(), w.shape()).muli(2 * bound).subi(bound));
        }

        @Override
        public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
            return views(conf, gradientView);
        }

        private static Map<String, INDArray> views(NeuralNetConfiguration conf, INDArray flat) {
            long[][] shapes = shapes((MlpTrunk) conf.getLayer());
            INDArray row = flat.reshape(1, flat.length());
            Map<String, INDArray> m = new LinkedHashMap<>();
            long at = 0;
            for (int i = 0; i < KEYS.size(); i++) {
                long n = shapes[i][0] * shapes[i][1];
                m.put(KEYS.get(i), row.get(NDArrayIndex.interval(0, 1), NDArrayIndex.interval(at, at + n)).reshape('c', shapes[i][0], shapes[i][1]));
                at += n;
            }
            return m;
        }
    }
}
