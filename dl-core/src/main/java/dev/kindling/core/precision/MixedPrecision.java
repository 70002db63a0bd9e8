package dev.kindling.core.precision;

import java.util.ArrayList;
import java.util.List;
import dev.kindling.core.layer.HalfPrecisionMatmuls;
import dev.kindling.core.layer.SlicedBackpropConvolution;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * Mixed precision on a built configuration, PyTorch autocast's policy: the matmul and convolution
 * layers (DL4J's {@code DenseLayer} and {@code ConvolutionLayer}) compute in half precision through
 * {@link HalfPrecision}, and the layers that compute their own matrix products ({@link HalfPrecisionMatmuls}:
 * the GPT, the encoder classifier, the batched LSTM and vanilla RNN, seq2seq's encoder-decoder) take half-precision operands and, for fp16, scale their own backward; normalization, pooling, activations, the output layer and its loss stay fp32,
 * as do the master weights, gradients and updater state (the network's data type stays FLOAT). For
 * fp16 every updater is wrapped in {@link SkipNonFinite} and training needs the {@link LossScaling}
 * listener.
 */
public final class MixedPrecision {

    /**
     * Rewrites {@code conf} in place for {@code precision} and returns the names of the layers that now
     * compute in half precision (none for fp32).
     *
     * @throws IllegalArgumentException when {@code precision} is not fp32 and no layer can run in it
     */
    public static List<String> apply(ComputationGraphConfiguration conf, Precision precision, String model) {
        return apply(conf, precision, model, DynamicLossScale.INITIAL);
    }

    /** As {@link #apply(ComputationGraphConfiguration, Precision, String)}, fp16 starting at loss scale {@code initialLossScale}. */
    public static List<String> apply(ComputationGraphConfiguration conf, Precision precision, String model, double initialLossScale) {
        List<String> wrapped = new ArrayList<>();
        if (precision == Precision.FP32) {
            return wrapped;
        }
        double scale = precision.lossScaling() ? initialLossScale : 1.0;
        for (var e : conf.getVertices().entrySet()) {
            GraphVertex vertex = e.getValue();
            if (!(vertex instanceof LayerVertex lv)) {
                continue;
            }
            Layer layer = lv.getLayerConf().getLayer();
            if (precision.lossScaling()) {
                skipNonFinite(layer);
            }
            if (layer.getClass() == DenseLayer.class || layer.getClass() == ConvolutionLayer.class
                    || layer.getClass() == SlicedBackpropConvolution.class) {
                lv.getLayerConf().setLayer(new HalfPrecision(layer, precision.compute(), scale));
                wrapped.add(e.getKey());
            } else if (layer instanceof HalfPrecisionMatmuls own) {
                own.setMatmuls(precision.compute());
                own.setInitialLossScale(scale);
                wrapped.add(e.getKey());
            }
        }
        if (wrapped.isEmpty()) {
            throw new IllegalArgumentException("precision=" + precision.cliName() + ": model " + model
                    + " has no dense, convolution, transformer or recurrent layer that Kindling runs in half precision;"
                    + " use --precision=fp32");
        }
        return wrapped;
    }

    private static void skipNonFinite(Layer layer) {
        if (layer instanceof BaseWrapperLayer w) {
            skipNonFinite(w.getUnderlying());
        } else if (layer instanceof BaseLayer base) {
            base.setIUpdater(skip(base.getIUpdater()));
            base.setBiasUpdater(skip(base.getBiasUpdater()));
        } else if (layer instanceof AbstractSameDiffLayer sd) {
            sd.setUpdater(skip(sd.getUpdater()));
            sd.setBiasUpdater(skip(sd.getBiasUpdater()));
        }
    }

    private static IUpdater skip(IUpdater u) {
        return u == null || u instanceof SkipNonFinite ? u : new SkipNonFinite(u);
    }

    private MixedPrecision() {}
}
