package dev.kindling.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.data.ImageShape;
import dev.kindling.core.io.InputException;
import dev.kindling.core.model.ResNet50Transfer.Strategy;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import java.io.ByteArrayOutputStream;
import java.util.HashMap;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** The transfer graph on 3x32x32 inputs: what trains, what stays bit-identical, and at which rates. */
class ResNet50TransferTest {
    private static final ImageShape IMAGE = new ImageShape(3, 32, 32);

    private static ComputationGraph build(Strategy strategy, long seed) {
        NetDefaults d = NetDefaults.adamW(seed, DataType.FLOAT, new CosineAnnealing(1e-3, 50, 0), 5e-4);
        ComputationGraph g = new ComputationGraph(ResNet50Transfer.configure(ResNet50Transfer.Spec.seed(IMAGE, false, 3, strategy, 0.1), d));
        g.init();
        return g;
    }

    private static Map<String, INDArray> params(ComputationGraph g) {
        Map<String, INDArray> copy = new HashMap<>();
        g.paramTable().forEach((k, v) -> copy.put(k, v.dup()));
        return copy;
    }

    private static void train(ComputationGraph g, int steps) {
        for (int i = 0; i < steps; i++) {
            Nd4j.getRandom().setSeed(i);
            g.fit(new DataSet(Nd4j.rand(DataType.FLOAT, 4, 3, 32, 32), Nd4j.eye(3).getRows(0, 1, 2, 0)));
        }
    }

    @Test
    void frozenBackboneStaysBitIdenticalWhileTheHeadTrains() {
        ComputationGraph g = build(Strategy.FROZEN, 1);
        Map<String, INDArray> a = g.feedForward(Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32), false);
        assertArrayEquals(new long[] {2, 2048}, a.get("gap").shape());
        assertArrayEquals(new long[] {2, 256}, a.get("fc1").shape());
        assertArrayEquals(new long[] {2, 3}, a.get(ResNet50Transfer.OUTPUT).shape());
        assertTrue(ResNet50Transfer.frozen(g.getConfiguration(), "res5c_branch2c"));
        assertTrue(ResNet50Transfer.frozen(g.getConfiguration(), "stem-cnn1"));
        Map<String, INDArray> before = params(g);
        train(g, 1);
        int backbone = 0;
        for (Map.Entry<String, INDArray> e : g.paramTable().entrySet()) {
            boolean head = e.getKey().startsWith("fc1_") || e.getKey().startsWith("output_");
            if (head) {
                assertNotEquals(before.get(e.getKey()), e.getValue(), e.getKey() + " did not train");
            } else {
                assertEquals(before.get(e.getKey()), e.getValue(), e.getKey() + " moved although frozen");
                backbone++;
            }
        }
        assertTrue(backbone > 200, "only " + backbone + " backbone parameter arrays checked");
    }

    @Test
    void fineTuningUsesTheSeedsPerGroupRatesAndKeepsTheStemAndLayers1And2() {
        ComputationGraph g = build(Strategy.FINETUNE, 2);
        assertEquals(1e-4, g.getLearningRate("res5a_branch2a"), 1e-12); // layer4
        assertEquals(1e-4, g.getLearningRate("bn5c_branch2c"), 1e-12);
        assertEquals(5e-5, g.getLearningRate("res4f_branch2b"), 1e-12); // layer3
        assertEquals(1e-3, g.getLearningRate("fc1"), 1e-12); // head
        assertEquals(1e-3, g.getLearningRate(ResNet50Transfer.OUTPUT), 1e-12);
        assertTrue(ResNet50Transfer.frozen(g.getConfiguration(), "res3d_branch2c"));
        Map<String, INDArray> before = params(g);
        train(g, 1);
        for (String moved : new String[] {"res5a_branch2a_W", "res4a_branch2a_W", "fc1_W", "output_W"}) {
            assertNotEquals(before.get(moved), g.getParam(moved), moved + " did not train");
        }
        for (String fixed : new String[] {"stem-cnn1_W", "res2a_branch2a_W", "res3d_branch2c_W", "bn3d_branch2c_mean"}) {
            assertEquals(before.get(fixed), g.getParam(fixed), fixed + " moved although the seed's optimizer leaves it alone");
        }
    }

    @Test
    void pretrainedBackboneIsCopiedFromADl4jZipAndTheHeadIsNot() throws Exception {
        ComputationGraph source = build(Strategy.FROZEN, 5);
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        ModelSerializer.writeModel(source, zip, false);
        ComputationGraph g = build(Strategy.FROZEN, 6);
        assertNotEquals(source.getParam("res4b_branch2b_W"), g.getParam("res4b_branch2b_W"));
        INDArray head = g.getParam("fc1_W").dup();
        ResNet50Transfer.loadBackbone(g, zip.toByteArray(), "mem://resnet50.zip");
        assertEquals(source.getParam("res4b_branch2b_W"), g.getParam("res4b_branch2b_W"));
        assertEquals(source.getParam("bn5c_branch2c_mean"), g.getParam("bn5c_branch2c_mean"));
        assertEquals(head, g.getParam("fc1_W"));
        var e = assertThrows(InputException.class, () -> ResNet50Transfer.loadBackbone(g, "not a zip".getBytes(), "/w/resnet.zip"));
        assertTrue(e.getMessage().contains("weights=/w/resnet.zip: not a DL4J ComputationGraph zip"), e.getMessage());
    }
}
