package dev.kindling.core.layer;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's runtime of a SameDiff layer (one that is not the output layer), with fp16 loss scaling
 * ({@link LossScaled}): the gradient that comes in is multiplied by the scale before SameDiff's backward
 * (so that every gradient inside the graph, those rounded to fp16 included, is scaled), and the parameter
 * and input gradients that leave are divided by it. Its configuration implements {@link HalfPrecisionMatmuls}.
 */
final class LossScaledSameDiffLayer extends SameDiffLayer implements LossScaled {
    private final LayerLossScale lossScale;

    LossScaledSameDiffLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
        this.lossScale = new LayerLossScale(conf.getLayer().getLayerName(), ((HalfPrecisionMatmuls) conf.getLayer()).getInitialLossScale());
    }

    @Override
    public LayerLossScale lossScale() {
        return lossScale;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        double s = lossScale.perExample(epsilon.size(0));
        if (s == 1.0) {
            return super.backpropGradient(epsilon, workspaceMgr);
        }
        Pair<Gradient, INDArray> p = super.backpropGradient(epsilon.mul(s), workspaceMgr);
        for (INDArray g : p.getFirst().gradientForVariable().values()) {
            g.divi(s);
        }
        if (p.getSecond() != null) {
            p.getSecond().divi(s);
        }
        return p;
    }
}
