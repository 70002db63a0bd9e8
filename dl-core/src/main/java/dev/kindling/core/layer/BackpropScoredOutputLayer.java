package dev.kindling.core.layer;

import java.util.Collection;
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
 * layers (the GPT, the encoder classifier) extend this.
 */
public abstract class BackpropScoredOutputLayer extends SameDiffOutputLayer {
    /** The scalar placeholder a loss-scaled graph's loss is multiplied by for backprop ({@link ScoreFromBackpropLayer} feeds it). */
    static final String LOSS_SCALE = "lossScale";

    /** fp16's loss scale a fresh model starts at; 1: the graph has no loss scale ({@link HalfPrecisionMatmuls}). */
    @JsonProperty private double initialLossScale = 1.0;

    public void setInitialLossScale(double scale) {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException(getLayerName() + ": initial loss scale=" + scale + ": must be finite and > 0");
        }
        this.initialLossScale = scale;
    }

    public double getInitialLossScale() {
        return initialLossScale;
    }

    /** Whether the graph multiplies its loss by {@link #LOSS_SCALE} for backprop (fp16). */
    boolean scalesLoss() {
        return initialLossScale != 1.0;
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
        return ScoreFromBackpropLayer.instantiate(conf, index, paramsView, initializeParams, dataType);
    }
}
