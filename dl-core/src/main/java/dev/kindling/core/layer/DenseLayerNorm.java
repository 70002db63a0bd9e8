package dev.kindling.core.layer;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * {@link LayerNorm}'s function (PyTorch's {@code nn.LayerNorm(n)} on {@code [B, n]}: biased variance,
 * eps 1e-5, gain and bias) as a plain DL4J layer with a hand-written backward pass. The SameDiff
 * version runs DL4J's SameDiff interpreter on every forward and backward call; profiling the seed's
 * MLP put 41% of a training step's CPU there (bench: JFR, BENCHMARKS.md). Same parameters in the same
 * order ({@code g} then {@code b}, each {@code [1, n]}), so the two are interchangeable weight for
 * weight; tests check equal outputs and gradients and a finite-difference gradient check.
 *
 * <pre>
 * forward   xhat = (x - mean(x)) / sqrt(var(x) + eps)     per row of [B, n]
 *           y    = g * xhat + b
 * backward  dg = sum_B(dy * xhat)   db = sum_B(dy)
 *           dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sqrt(var + eps),  dxhat = dy * g
 * </pre>
 */
public final class DenseLayerNorm extends FeedForwardLayer {
    public static final String GAIN = LayerNorm.GAIN;
    public static final String BIAS = LayerNorm.BIAS;

    @JsonProperty private double eps = LayerNorm.DEFAULT_EPS;

    /** For JSON; the size comes from the input type when the graph is built. */
    public DenseLayerNorm() {
        setActivationFn(Activation.IDENTITY.getActivationFunction());
    }

    /** @param size feature count n (&gt; 0) */
    public DenseLayerNorm(int size) {
        this();
        if (size <= 0) {
            throw new IllegalArgumentException("size=" + size + ": must be > 0");
        }
        this.nIn = size;
        this.nOut = size;
    }

    public double getEps() {
        return eps;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        super.setNIn(inputType, override);
        if (nIn != nOut && (nOut <= 0 || override)) {
            nOut = nIn;
        }
        if (nIn != nOut) {
            throw new IllegalStateException("DenseLayerNorm '" + getLayerName() + "': input size=" + nIn + " differs from layer size=" + nOut);
        }
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
        long n = 2 * nOut;
        return new LayerMemoryReport.Builder(layerName, DenseLayerNorm.class, inputType, inputType)
                .standardMemory(n, getIUpdater() == null ? 0 : getIUpdater().stateSize(n))
                .workingMemory(0, 0, 0, 3 * nOut)
                .cacheMemory(0, 0)
                .build();
    }

    /** The layer itself: forward and backward in a handful of ND4J ops. */
    static final class Impl extends BaseLayer<DenseLayerNorm> {
        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(false);
            applyDropOutIfNecessary(training, workspaceMgr);
            INDArray x = input.castTo(dataType);
            INDArray[] norm = normalize(x);                                   // xhat [B, n], std [B, 1]
            INDArray y = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), 'c');
            y.assign(norm[0]).muliRowVector(getParam(GAIN)).addiRowVector(getParam(BIAS));
            return y;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(true);
            INDArray x = input.castTo(dataType);
            INDArray[] norm = normalize(x);
            INDArray xhat = norm[0];                                          // [B, n]
            INDArray std = norm[1];                                           // [B, 1]
            INDArray dg = gradientViews.get(GAIN);                            // [1, n]
            INDArray db = gradientViews.get(BIAS);                            // [1, n]
            dg.assign(epsilon.mul(xhat).sum(true, 0));
            db.assign(epsilon.sum(true, 0));
            INDArray dxhat = epsilon.mulRowVector(getParam(GAIN));            // [B, n]
            INDArray meanDxhat = dxhat.mean(true, 1);                         // [B, 1]
            INDArray meanDxhatXhat = dxhat.mul(xhat).mean(true, 1);           // [B, 1]
            INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
            dx.assign(dxhat.subiColumnVector(meanDxhat).subi(xhat.muliColumnVector(meanDxhatXhat)).diviColumnVector(std));
            Gradient g = new DefaultGradient();
            g.gradientForVariable().put(GAIN, dg);
            g.gradientForVariable().put(BIAS, db);
            return new Pair<>(g, backpropDropOutIfPresent(dx));
        }

        /** {xhat [B, n], std [B, 1]} of the rows of {@code x}. */
        private INDArray[] normalize(INDArray x) {
            INDArray centered = x.subColumnVector(x.mean(true, 1));                           // [B, n]
            INDArray std = centered.mul(centered).mean(true, 1).addi(layerConf().getEps());   // [B, 1] var + eps
            org.nd4j.linalg.ops.transforms.Transforms.sqrt(std, false);
            return new INDArray[] {centered.diviColumnVector(std), std};
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

    /** Parameters {@code g} (a weight, initialised to 1) then {@code b} (a bias, 0), each {@code [1, n]}. */
    static final class Params implements ParamInitializer {
        static final Params INSTANCE = new Params();

        @Override
        public long numParams(NeuralNetConfiguration conf) {
            return numParams(conf.getLayer());
        }

        @Override
        public long numParams(Layer layer) {
            return 2 * ((DenseLayerNorm) layer).getNOut();
        }

        @Override
        public List<String> paramKeys(Layer layer) {
            return List.of(GAIN, BIAS);
        }

        @Override
        public List<String> weightKeys(Layer layer) {
            return List.of(GAIN);
        }

        @Override
        public List<String> biasKeys(Layer layer) {
            return List.of(BIAS);
        }

        @Override
        public boolean isWeightParam(Layer layer, String key) {
            return GAIN.equals(key);
        }

        @Override
        public boolean isBiasParam(Layer layer, String key) {
            return BIAS.equals(key);
        }

        @Override
        public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
            Map<String, INDArray> m = views(conf, paramsView);
            if (initializeParams) {
                m.get(GAIN).assign(1.0);
                m.get(BIAS).assign(0.0);
            }
            return m;
        }

        @Override
        public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
            return views(conf, gradientView);
        }

        private static Map<String, INDArray> views(NeuralNetConfiguration conf, INDArray flat) {
            long n = ((DenseLayerNorm) conf.getLayer()).getNOut();
            INDArray row = flat.reshape(1, flat.length());
            Map<String, INDArray> m = new LinkedHashMap<>();
            m.put(GAIN, row.get(NDArrayIndex.interval(0, 1), NDArrayIndex.interval(0, n)));
            m.put(BIAS, row.get(NDArrayIndex.interval(0, 1), NDArrayIndex.interval(n, 2 * n)));
            return m;
        }
    }
}
