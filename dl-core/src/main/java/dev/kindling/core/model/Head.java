package dev.kindling.core.model;

import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Classification heads. {@link #BINARY} is PyTorch's BCEWithLogitsLoss: one logit, sigmoid, binary
 * cross-entropy; DL4J's binary XENT with a sigmoid activation back-propagates (p - y) directly on the
 * logit, so the gradient is the stable one. {@link #SOFTMAX} is CrossEntropyLoss over C logits.
 */
public enum Head {
    BINARY, SOFTMAX;

    public static Head forClasses(int numClasses, boolean binaryLabels) {
        return binaryLabels ? BINARY : SOFTMAX;
    }

    /** Output width: 1 logit for binary, else one per class. */
    public int width(int numClasses) {
        return this == BINARY ? 1 : numClasses;
    }

    public OutputLayer.Builder outputLayer(int nIn, int numClasses) {
        return new OutputLayer.Builder(this == BINARY ? LossFunctions.LossFunction.XENT : LossFunctions.LossFunction.MCXENT)
                .activation(this == BINARY ? Activation.SIGMOID : Activation.SOFTMAX)
                .nIn(nIn)
                .nOut(width(numClasses));
    }
}
