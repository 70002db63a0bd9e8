package dev.kindling.core.model;

import static dev.kindling.core.model.SequenceNets.features;
import static dev.kindling.core.model.SequenceNets.init;
import static dev.kindling.core.model.SequenceNets.mask;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.optim.NetDefaults;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

@ExtendWith(DoublePrecision.class)
class VanillaRnnTest {

    @Test
    void shapesFollowTheSeedsTable() {
        ComputationGraph g = init(VanillaRnn.configure(VanillaRnn.Spec.tutorial(), NetDefaults.gradientCheck(1)));
        Map<String, INDArray> acts = g.feedForward(features(7, 16, 50), false); // seed x (7, 50, 16)
        assertArrayEquals(new long[] {7, 128, 50}, acts.get("rnn").shape());
        assertArrayEquals(new long[] {7, 128}, acts.get("last").shape());
        assertArrayEquals(new long[] {7, 2}, acts.get(VanillaRnn.OUTPUT).shape());
        // Wx (16x128, no bias) + Wh (128x128 + 128) + out (128x2 + 2): PyTorch's count for VanillaRNN(16, 128, 2)
        assertEquals(16 * 128 + 128 * 128 + 128 + 128 * 2 + 2, g.numParams());
    }

    @Test
    void simpleRnnComputesTheSeedsRecurrenceStepByStep() {
        ComputationGraph g = init(VanillaRnn.configure(VanillaRnn.Spec.tiny(), NetDefaults.gradientCheck(2)));
        INDArray x = features(2, 3, 6);
        INDArray wx = g.getParam("rnn_W");   // [C, H]
        INDArray wh = g.getParam("rnn_RW");  // [H, H]
        INDArray b = g.getParam("rnn_b");    // [1, H]
        INDArray h = Nd4j.zeros(x.dataType(), 2, 4);
        for (int t = 0; t < 6; t++) {
            INDArray xt = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t)); // x[:, t, :] in the seed
            h = Transforms.tanh(xt.mmul(wx).add(h.mmul(wh)).addRowVector(b));
        }
        INDArray logits = h.mmul(g.getParam("out_W")).addRowVector(g.getParam("out_b"));
        INDArray expected = Transforms.softmax(logits);
        assertEquals(0, expected.distance2(g.outputSingle(x)), 1e-12);
    }

    @Test
    void aPaddedSequenceClassifiesLikeTheUnpaddedOne() {
        ComputationGraph g = init(VanillaRnn.configure(VanillaRnn.Spec.tiny(), NetDefaults.gradientCheck(3)));
        INDArray x = features(1, 3, 5);
        INDArray padded = Nd4j.zeros(x.dataType(), 1, 3, 9);
        padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 5)).assign(x);
        INDArray unpadded = g.outputSingle(x);
        INDArray masked = g.output(false, new INDArray[] {padded}, new INDArray[] {mask(9, 5)})[0];
        assertEquals(0, unpadded.distance2(masked), 1e-12);
    }

    @Test
    void gradientsMatchFiniteDifferencesWithAndWithoutMasks() {
        ComputationGraph g = init(VanillaRnn.configure(VanillaRnn.Spec.tiny(), NetDefaults.gradientCheck(4)));
        INDArray y = Nd4j.create(new double[][] {{1, 0}, {0, 1}, {1, 0}});
        SequenceNets.assertGradientsMatch(g, features(3, 3, 5), y, null, null, "no mask");
        SequenceNets.assertGradientsMatch(g, features(3, 3, 5), y, mask(5, 5, 2, 4), null, "masked");
    }

    @Test
    void saveAndLoadGiveIdenticalOutputs() throws Exception {
        ComputationGraph g = init(VanillaRnn.configure(VanillaRnn.Spec.tiny(), NetDefaults.gradientCheck(5)));
        INDArray x = features(2, 3, 4);
        assertEquals(g.outputSingle(x), SequenceNets.roundTrip(g, Architecture.VANILLA_RNN).outputSingle(x));
    }
}
