package dev.kindling.core.loss;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * PyTorch's {@code CrossEntropyLoss(label_smoothing=eps)}: multi-class cross-entropy against the
 * smoothed target {@code y' = (1 - eps) y + eps / K} over K classes, which equals
 * {@code (1 - eps) CE(y) + eps * mean_k(-log p_k)}. DL4J M2.1's {@link LossMCXENT} has class weights
 * and a softmax clip but no smoothing, so this smooths the one-hot labels and delegates; with a
 * softmax output the gradient is then {@code p - y'} (the rows of y' still sum to 1).
 *
 * <p>A plain class with one primitive field: DL4J serializes it inside the configuration as JSON, and
 * Spark ships that configuration to executors.
 */
public final class LabelSmoothingCrossEntropy implements ILossFunction {
    private final double smoothing;

    /** @param smoothing eps in [0, 1) */
    public LabelSmoothingCrossEntropy(@JsonProperty("smoothing") double smoothing) {
        if (!(smoothing >= 0 && smoothing < 1)) {
            throw new IllegalArgumentException("label-smoothing=" + smoothing + ": must be in [0, 1)");
        }
        this.smoothing = smoothing;
    }

    public double getSmoothing() {
        return smoothing;
    }

    /** {@code (1 - eps) y + eps / K}, K = the label width. */
    INDArray smooth(INDArray labels, INDArray preOutput) {
        long k = labels.size(1);
        return labels.castTo(preOutput.dataType()).mul(1.0 - smoothing).addi(smoothing / k);
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask, boolean average) {
        return crossEntropy().computeScore(smooth(labels, preOutput), preOutput, activationFn, mask, average);
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return crossEntropy().computeScoreArray(smooth(labels, preOutput), preOutput, activationFn, mask);
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return crossEntropy().computeGradient(smooth(labels, preOutput), preOutput, activationFn, mask);
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput, IActivation activationFn,
                                                          INDArray mask, boolean average) {
        INDArray smoothed = smooth(labels, preOutput);
        return new Pair<>(crossEntropy().computeScore(smoothed, preOutput, activationFn, mask, average),
                crossEntropy().computeGradient(smoothed, preOutput, activationFn, mask));
    }

    /** Stateless and cheap; not a field, so the JSON and Java forms hold only {@code smoothing}. */
    private static LossMCXENT crossEntropy() {
        return new LossMCXENT();
    }

    @Override
    public String name() {
        return toString();
    }

    @Override
    public String toString() {
        return "LabelSmoothingCrossEntropy(smoothing=" + smoothing + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LabelSmoothingCrossEntropy l && l.smoothing == smoothing;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(smoothing);
    }
}
