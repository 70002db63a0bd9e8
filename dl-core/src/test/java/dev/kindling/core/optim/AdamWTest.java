package dev.kindling.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.layer.LayerNorm;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import dev.kindling.core.DoublePrecision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.ops.transforms.Transforms;

@ExtendWith(DoublePrecision.class)
class AdamWTest {
    private static final double LR = 1e-2;
    private static final double WD = 0.1; // large, so that decay is visible in a few steps
    private static final int STEPS = 4;
    /**
     * Expected parameters follow the published AdamW rule step by step, fed with the gradient DL4J
     * computed at that step: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
     * p <- p - lr*wd*p - lr_t * m / (sqrt(v) + eps) with lr_t = lr*sqrt(1-b2^t)/(1-b1^t), which is the
     * Adam paper's own form of the bias correction and the one DL4J's native adam_updater computes.
     * PyTorch puts eps on sqrt(vhat) instead; that variant is checked to a looser bound.
     */
    @Test
    void adamWDecaysWeightsDecoupledFromTheGradient() {
        ComputationGraph net = TinyNet.build(b -> AdamW.configure(b, LR, WD));
        DataSet data = TinyNet.data();
        INDArray p = net.params().dup().reshape(-1);
        INDArray pTorch = p.dup();
        INDArray m = Nd4j.zeros(DataType.DOUBLE, p.length());
        INDArray v = Nd4j.zeros(DataType.DOUBLE, p.length());
        double maxTorchDeviation = 0;

        for (int t = 1; t <= STEPS; t++) {
            INDArray g = TinyNet.meanGradient(net, data);
            m.muli(AdamW.BETA1).addi(g.mul(1 - AdamW.BETA1));
            v.muli(AdamW.BETA2).addi(g.mul(g).muli(1 - AdamW.BETA2));
            double c1 = 1 - Math.pow(AdamW.BETA1, t);
            double c2 = 1 - Math.pow(AdamW.BETA2, t);
            INDArray adamStep = m.mul(LR * Math.sqrt(c2) / c1).divi(Transforms.sqrt(v, true).addi(AdamW.EPSILON));
            INDArray torchStep = m.div(c1).muli(LR).divi(Transforms.sqrt(v.div(c2), true).addi(AdamW.EPSILON));
            p = p.sub(p.mul(LR * WD)).subi(adamStep);
            pTorch = pTorch.sub(pTorch.mul(LR * WD)).subi(torchStep);

            net.fit(data);

            INDArray actual = net.params().reshape(-1);
            assertEquals(0.0, actual.sub(p).amaxNumber().doubleValue(), 1e-10, "step " + t);
            maxTorchDeviation = Math.max(maxTorchDeviation, actual.sub(pTorch).amaxNumber().doubleValue());
        }
        // measured 1.2e-6 here (one parameter with a gradient near 1e-6); lr * (eps/sqrt(1-b2^t) - eps) / |g|
        assertTrue(maxTorchDeviation < 1e-5, "deviation from PyTorch's eps placement: " + maxTorchDeviation);
    }

    @Test
    void decayReachesLayerNormGainAndBiasAndEveryOtherParameter() {
        ComputationGraph net = TinyNet.build(b -> AdamW.configure(b, LR, WD));
        for (String layer : List.of("fc", "ln", "relu", "out")) {
            for (String param : net.getLayer(layer).paramTable().keySet()) {
                List<Regularization> r = net.getLayer(layer).conf().getLayer().getRegularizationByParam(param);
                assertTrue(r != null && r.size() == 1 && r.get(0) instanceof WeightDecay wd && wd.isApplyLR(),
                        layer + "_" + param + " regularization=" + r);
            }
        }
        assertEquals(2, net.getLayer("ln").paramTable().size()); // g and b
        assertTrue(net.getLayer("ln").paramTable().containsKey(LayerNorm.GAIN));
    }

    @Test
    void adamWithL2EndsSomewhereElse() {
        ComputationGraph adamW = TinyNet.build(b -> AdamW.configure(b, LR, WD));
        ComputationGraph adamL2 = TinyNet.build(b -> b.updater(new Adam(LR, AdamW.BETA1, AdamW.BETA2, AdamW.EPSILON))
                .l2(WD).l2Bias(WD));
        assertEquals(adamW.params(), adamL2.params());
        DataSet data = TinyNet.data();

        for (int i = 0; i < STEPS; i++) {
            adamW.fit(data);
            adamL2.fit(data);
        }

        double difference = adamW.params().sub(adamL2.params()).amaxNumber().doubleValue();
        assertTrue(difference > 1e-4, "AdamW and Adam+L2 should differ; max |diff|=" + difference);
    }
}
