package dev.kindling.spark.allreduce;

import dev.kindling.core.optim.GlobalNormClipping;
import dev.kindling.spark.config.Wire;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Replaces the minibatch gradient by the mean over every worker's examples, before the updater:
 * DL4J's gradient here is the minibatch sum, which the updater divides by the local batch size,
 * so the summed gradient is scaled by {@code local / total}; pseudo-gradients the updater does not
 * divide (BatchNorm's running statistics) become the example-weighted mean of the workers'.
 */
final class GradientSum extends Sharing {
    private final AllReduce ar;
    private final Wire wire;

    /** @param wire the precision the gradient is sent in */
    GradientSum(AllReduce ar, Wire wire) {
        this.ar = ar;
        this.wire = wire;
    }

    @Override
    public void onGradientCalculation(Model model) {
        int local = Math.max(1, model.batchSize());
        INDArray gradient = model.getGradientsViewArray();
        AllReduce.Totals totals;
        if (model.conf() != null && !model.conf().isMiniBatch()) {
            totals = ar.reduce(gradient, local, model.score() * local, wire); // the updater takes the sum as it is
        } else {
            List<INDArray> undivided = GlobalNormClipping.gradientViews(model, false);
            for (INDArray g : undivided) {
                g.muli(local);
            }
            totals = ar.reduce(gradient, local, model.score() * local, wire);
            gradient.muli(local / totals.samples());
            for (INDArray g : undivided) {
                g.divi(local);
            }
        }
        samples += totals.samples();
        lossSum += totals.lossSum();
    }
}
