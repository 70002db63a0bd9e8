package dev.kindling.core.optim;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The reported loss is the loss alone, as in PyTorch, where weight decay and L2 act on the update and
 * never enter {@code loss.item()}. DL4J adds {@code 0.5 x coeff x ||p||^2} of every decayed parameter to
 * the score ({@code Regularization.score}, summed by {@code calcRegularizationScore} at every training
 * step), so a DL4J training loss is larger than the seed's by that term, and computing it costs one
 * norm reduction per parameter array per step (6% of the seed MLP's step, measured). The decay itself
 * ({@code apply}) is DL4J's, unchanged.
 */
public final class LossOnlyScore {

    /** DL4J's {@link WeightDecay} (decoupled: after the updater) without the score term. */
    public static final class DecoupledDecay extends WeightDecay {
        public DecoupledDecay(@JsonProperty("coeff") ISchedule coeff, @JsonProperty("applyLR") boolean applyLR) {
            super(coeff, applyLR);
        }

        @Override
        public double score(INDArray param, int iteration, int epoch) {
            return 0;
        }

        @Override
        public Regularization clone() {
            return new DecoupledDecay(coeff.clone(), applyLR);
        }
    }

    /** DL4J's {@link L2Regularization} (added to the gradient before the updater) without the score term. */
    public static final class L2 extends L2Regularization {
        public L2(@JsonProperty("l2") ISchedule l2) {
            super(l2);
        }

        @Override
        public double score(INDArray param, int iteration, int epoch) {
            return 0;
        }

        @Override
        public Regularization clone() {
            return new L2(l2.clone());
        }
    }

    /** Replaces every layer's weight decay and L2 by the score-free versions; returns {@code conf}. */
    public static ComputationGraphConfiguration apply(ComputationGraphConfiguration conf) {
        return AdamW.forEachLayer(conf, LossOnlyScore::apply);
    }

    private static void apply(Layer layer) {
        if (layer instanceof BaseLayer base) {
            base.setRegularization(lossOnly(base.getRegularization()));
            base.setRegularizationBias(lossOnly(base.getRegularizationBias()));
        } else if (layer instanceof AbstractSameDiffLayer sd) {
            sd.setRegularization(lossOnly(sd.getRegularization()));
            sd.setRegularizationBias(lossOnly(sd.getRegularizationBias()));
        }
    }

    static List<Regularization> lossOnly(List<Regularization> list) {
        if (list == null) {
            return null;
        }
        List<Regularization> out = new ArrayList<>();
        for (Regularization r : list) {
            if (r instanceof WeightDecay wd && !(r instanceof DecoupledDecay)) {
                out.add(new DecoupledDecay(wd.getCoeff(), wd.isApplyLR()));
            } else if (r instanceof L2Regularization l2 && !(r instanceof L2)) {
                out.add(new L2(l2.getL2()));
            } else {
                out.add(r);
            }
        }
        return out;
    }

    private LossOnlyScore() {
    }
}
