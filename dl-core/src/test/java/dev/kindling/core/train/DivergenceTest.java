package dev.kindling.core.train;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.layer.MlpTrunk;
import dev.kindling.core.model.Head;
import dev.kindling.core.model.Mlp;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class DivergenceTest {

    private static ComputationGraph net() {
        ComputationGraph g = new ComputationGraph(Mlp.configure(new Mlp.Spec(4, 8, 3, Head.SOFTMAX, 0.0),
                NetDefaults.adamW(1, DataType.FLOAT, CosineAnnealing.tutorial(), 1e-4)));
        g.init();
        return g;
    }

    private static DataSet batch(double scale) {
        return new DataSet(Nd4j.rand(DataType.FLOAT, 6, 4).muli(scale), Nd4j.eye(3).getRows(0, 1, 2, 0, 1, 2).castTo(DataType.FLOAT));
    }

    @Test
    void anInfiniteWeightStopsTheRunNamingStepShardAndLayer() {
        ComputationGraph g = net();
        g.getLayer(Mlp.TRUNK).getParam(MlpTrunk.FC1_W).putScalar(1, 2, Float.POSITIVE_INFINITY);
        DataSet b = batch(1);
        g.fit(b); // the forward pass turns the infinity into a NaN loss, and the update spreads it
        Divergence d = assertThrows(Divergence.class, () -> Divergence.check(g, g.score(), b, 2, 6, "train/part-00007.bin"));
        assertTrue(d.getMessage().contains("epoch 3, step 7 (shard train/part-00007.bin)"), d.getMessage());
        assertTrue(d.getMessage().contains("layer 'trunk'"), d.getMessage());
    }

    @Test
    void plantedNanParametersAreTracedToTheirLayer() {
        ComputationGraph g = net();
        g.getLayer(Mlp.OUTPUT).getParam("W").putScalar(0, 0, Float.NaN);
        assertTrue(Divergence.locate(g, batch(1)).contains("layer 'output'"));
    }

    @Test
    void aFiniteLossPasses() {
        ComputationGraph g = net();
        DataSet b = batch(1);
        g.fit(b);
        assertDoesNotThrow(() -> Divergence.check(g, g.score(), b, 0, 0, "x"));
    }
}
