package dev.kindling.core.layer;

import java.util.Collection;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffOutputLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A SameDiff output layer configuration whose runtime is {@link ScoreFromBackpropLayer}: DL4J's, but the
 * training loss comes from backprop's own forward instead of a second one. Kindling's SameDiff output
 * layers (the GPT, the encoder classifier) extend this; it holds their half-precision settings ({@link HalfPrecisionMatmuls}).
 */
public abstract class BackpropScoredOutputLayer extends SameDiffOutputLayer implements HalfPrecisionMatmuls {
    /** The scalar placeholder a loss-scaled graph's loss is multiplied by for backprop ({@link ScoreFromBackpropLayer} feeds it). */
    static final String LOSS_SCALE = "lossScale";

    /** What the matrix products' operands are rounded to: FLOAT, or BFLOAT16 / HALF under --precision=bf16 / fp16 ({@link HalfPrecisionMatmuls}). */
    @JsonProperty private DataType matmuls = DataType.FLOAT;
    /** fp16's loss scale a fresh model starts at; 1: the graph has no loss scale ({@link HalfPrecisionMatmuls}). */
    @JsonProperty private double initialLossScale = 1.0;

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

    /** Whether the graph multiplies its loss by {@link #LOSS_SCALE} for backprop (fp16). */
    boolean scalesLoss() {
        return LayerLossScale.scales(initialLossScale);
    }

    /**
     * Marks what backprop differentiates: {@code loss} itself, or, when the layer scales its loss, {@code loss} times
     * the {@link #LOSS_SCALE} placeholder, so that every gradient inside the graph (those its fp16 roundings see)
     * is scaled while the graph's output, the score, stays the loss.
     */
    protected final void markLoss(SameDiff sd, SDVariable loss) {
        if (scalesLoss()) {
            loss.mul(sd.placeHolder(LOSS_SCALE, loss.dataType())).markAsLoss();
        } else {
            loss.markAsLoss();
        }
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int index,
                             INDArray paramsView, boolean initializeParams, DataType dataType) {
        // DL4J's SameDiffOutputLayer.instantiate, with this runtime (DL4J gives SameDiff layers no listeners)
        return LayerWiring.wire(new ScoreFromBackpropLayer(conf, dataType), initializer(), conf, List.of(), index, paramsView,
                initializeParams);
    }
}
