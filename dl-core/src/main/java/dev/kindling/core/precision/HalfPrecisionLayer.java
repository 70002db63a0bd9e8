package dev.kindling.core.precision;

import java.util.Map;
import dev.kindling.core.layer.LayerLossScale;
import dev.kindling.core.layer.LossScaled;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The runtime of {@link HalfPrecision}. {@code underlying} is the fp32 master layer: it owns the
 * parameter and gradient views into the network's flat arrays, so everything DL4J asks of a layer
 * (parameters, updaters, regularization, serialization) sees fp32. {@code shadow} is the same layer
 * instantiated over its own parameter and gradient arrays; it does the work, in the compute type
 * (GPU) or in fp32 on values rounded to the compute type (CPU; see {@link HalfPrecision#nativeKernels}).
 * Before each forward pass the master parameters are cast into the shadow's.
 */
public final class HalfPrecisionLayer extends BaseWrapperLayer implements LossScaled {
    private static final long serialVersionUID = 1L;

    private final Layer shadow;
    private final INDArray shadowParams;
    private final DataType compute;
    private final DataType arithmetic;
    private final IActivation activation;
    private INDArray preActivation;
    private INDArray shadowGradients;
    private INDArray masterGradients;
    private Map<String, INDArray> masterGradientViews;
    private final LayerLossScale lossScale;

    HalfPrecisionLayer(Layer master, Layer shadow, INDArray shadowParams, DataType compute, DataType arithmetic, IActivation activation,
                       double lossScale) {
        super(master);
        this.shadow = shadow;
        this.shadowParams = shadowParams;
        this.compute = compute;
        this.arithmetic = arithmetic;
        this.activation = activation;
        this.lossScale = new LayerLossScale(master.conf().getLayer().getLayerName(), lossScale);
    }

    public DataType compute() {
        return compute;
    }

    /** The type the shadow layer's kernels run in: {@link #compute()}, or fp32 between roundings to it on the CPU. */
    public DataType arithmetic() {
        return arithmetic;
    }

    /** {@code a} rounded to the compute type, in the arithmetic type; in place when they differ. */
    private INDArray round(INDArray a) {
        return arithmetic == compute ? a : a.assign(a.castTo(compute));
    }

    @Override
    public LayerLossScale lossScale() {
        return lossScale;
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        INDArray input = underlying.input();
        DataType outType = input.dataType();
        if (shadowParams != null) {
            round(shadowParams.assign(underlying.params()));
        }
        shadow.setInput(round(mgr.castTo(ArrayType.INPUT, arithmetic, input, true)), mgr);
        shadow.setMaskArray(underlying.getMaskArray());
        preActivation = mgr.castTo(ArrayType.ACTIVATIONS, outType, round(shadow.activate(training, mgr)), true);
        return activation.getActivation(mgr.dup(ArrayType.ACTIVATIONS, preActivation), training);
    }

    @Override
    public INDArray activate(INDArray input, boolean training, LayerWorkspaceMgr mgr) {
        setInput(input, mgr);
        return activate(training, mgr);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        double s = this.lossScale.perExample(underlying.input().size(0));
        INDArray delta = activation.backprop(preActivation, epsilon).getFirst(); // overwrites preActivation
        preActivation = null;
        INDArray scaled = mgr.castTo(ArrayType.ACTIVATION_GRAD, arithmetic, delta, true);
        if (s != 1.0) {
            scaled.muli(s);
        }
        Pair<Gradient, INDArray> p = shadow.backpropGradient(round(scaled), mgr);
        Gradient out = new DefaultGradient();
        if (masterGradients != null) {
            masterGradients.assign(round(shadowGradients));
            if (s != 1.0) {
                masterGradients.divi(s);
            }
            for (Map.Entry<String, INDArray> e : p.getFirst().gradientForVariable().entrySet()) {
                out.setGradientFor(e.getKey(), masterGradientViews.get(e.getKey()), p.getFirst().flatteningOrderForVariable(e.getKey()));
            }
        }
        INDArray epsOut = p.getSecond() == null ? null
                : mgr.castTo(ArrayType.ACTIVATION_GRAD, epsilon.dataType(), round(p.getSecond()), true);
        if (epsOut != null && s != 1.0) {
            epsOut.divi(s);
        }
        return new Pair<>(out, epsOut);
    }

    @Override
    public void setBackpropGradientsViewArray(INDArray gradients) {
        underlying.setBackpropGradientsViewArray(gradients);
        masterGradients = gradients;
        masterGradientViews = underlying.conf().getLayer().initializer().getGradientsFromFlattened(underlying.conf(), gradients);
        shadowGradients = HalfPrecision.detached(arithmetic, gradients.length());
        shadow.setBackpropGradientsViewArray(shadowGradients);
    }

    @Override
    public void setInputMiniBatchSize(int size) {
        underlying.setInputMiniBatchSize(size);
        shadow.setInputMiniBatchSize(size);
    }

    @Override
    public void setCacheMode(org.deeplearning4j.nn.conf.CacheMode mode) {
        underlying.setCacheMode(mode);
        shadow.setCacheMode(mode);
    }

    @Override
    public void clear() {
        underlying.clear();
        shadow.clear();
    }

    @Override
    public void clearNoiseWeightParams() {
        underlying.clearNoiseWeightParams();
        shadow.clearNoiseWeightParams();
    }

    @Override
    public void setIterationCount(int iterationCount) {
        underlying.setIterationCount(iterationCount);
        shadow.setIterationCount(iterationCount);
    }

    @Override
    public void setEpochCount(int epochCount) {
        underlying.setEpochCount(epochCount);
        shadow.setEpochCount(epochCount);
    }
}
