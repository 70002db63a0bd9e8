package dev.kindling.core.layer;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffOutputLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A SameDiff output layer configuration whose runtime is {@link ScoreFromBackpropLayer}: DL4J's, but the
 * training loss comes from backprop's own forward instead of a second one. Kindling's SameDiff output
 * layers (the GPT, the encoder classifier) extend this.
 */
public abstract class BackpropScoredOutputLayer extends SameDiffOutputLayer {
    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int index,
                             INDArray paramsView, boolean initializeParams, DataType dataType) {
        return ScoreFromBackpropLayer.instantiate(conf, index, paramsView, initializeParams, dataType);
    }
}
