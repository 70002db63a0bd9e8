package dev.kindling.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;

@ExtendWith(DoublePrecision.class)
class LossOnlyScoreTest {
    private static final double WD = 0.1;

    private static ComputationGraph lossOnly(ComputationGraph dl4j) {
        ComputationGraphConfiguration conf = LossOnlyScore.apply(dl4j.getConfiguration().clone());
        ComputationGraph net = new ComputationGraph(ComputationGraphConfiguration.fromJson(conf.toJson()));
        net.init(dl4j.params().dup(), false);
        return net;
    }

    @Test
    void theScoreIsTheLossAloneAndTheDecayStillActs() {
        DataSet data = TinyNet.data();
        ComputationGraph plain = TinyNet.build(b -> b.updater(new Sgd(0.1)));
        ComputationGraph dl4j = TinyNet.build(b -> AdamW.decoupledDecay(b.updater(new Sgd(0.1)), WD));
        ComputationGraph ours = lossOnly(dl4j);
        for (var v : ours.getConfiguration().getVertices().values()) {
            if (v instanceof LayerVertex lv) {
                var layer = lv.getLayerConf().getLayer();
                var list = layer instanceof BaseLayer bl ? bl.getRegularization() : ((AbstractSameDiffLayer) layer).getRegularization();
                assertEquals(1, list.size(), layer.getLayerName());
                assertInstanceOf(LossOnlyScore.DecoupledDecay.class, list.get(0), layer.getLayerName() + " (after JSON)");
            }
        }
        double loss = plain.score(data, true);
        double dl4jScore = dl4j.score(data, true);
        assertTrue(dl4jScore - loss > 0.1, "DL4J's score adds 0.5 x wd x ||p||^2: " + dl4jScore + " vs loss " + loss);
        assertEquals(loss, ours.score(data, true), 1e-12, "the loss alone");

        plain.fit(data);
        dl4j.fit(data);
        ours.fit(data);
        assertEquals(0, dl4j.params().distance2(ours.params()), 1e-12, "the same decayed step as DL4J's");
        assertTrue(plain.params().distance2(ours.params()) > 1e-4, "the decay acts");
    }
}
