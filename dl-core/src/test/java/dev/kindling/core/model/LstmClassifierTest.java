package dev.kindling.core.model;

import static dev.kindling.core.model.SequenceNets.features;
import static dev.kindling.core.model.SequenceNets.init;
import static dev.kindling.core.model.SequenceNets.mask;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.optim.NetDefaults;
import java.util.Map;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

@ExtendWith(DoublePrecision.class)
class LstmClassifierTest {

    @Test
    void shapesFollowTheSeedsTable() {
        ComputationGraph g = init(LstmClassifier.configure(LstmClassifier.Spec.tutorial(), NetDefaults.gradientCheck(1)));
        Map<String, INDArray> acts = g.feedForward(features(7, 16, 50), false); // seed x (7, 50, 16)
        assertArrayEquals(new long[] {7, 256, 50}, acts.get("lstm0").shape()); // out (7, 50, 256)
        assertArrayEquals(new long[] {7, 256, 50}, acts.get("lstm1").shape());
        assertArrayEquals(new long[] {7, 256}, acts.get("last").shape());     // out[:, -1, :]
        assertArrayEquals(new long[] {7, 128}, acts.get("fc1").shape());
        assertArrayEquals(new long[] {7, 2}, acts.get(LstmClassifier.OUTPUT).shape());
        long lstm = 2L * (16 * 512 + 128 * 512 + 512) + 2L * (256 * 512 + 128 * 512 + 512);
        // PyTorch counts one more 4H bias per layer and direction (b_hh): 4 x 512 more
        assertEquals(lstm + 256 * 128 + 128 + 128 * 2 + 2, g.numParams());
    }

    @Test
    void dropoutSitsBetweenLstmLayersAndInTheHead() {
        ComputationGraph g = init(LstmClassifier.configure(LstmClassifier.Spec.tutorial(), NetDefaults.gradientCheck(1)));
        assertEquals(0.7, ((Dropout) g.getLayer("drop1").conf().getLayer().getIDropout()).getP(), 1e-12);
        assertEquals(null, ((BaseLayer) g.getLayer("lstm0_fwd").conf().getLayer()).getIDropout());
        assertEquals(null, ((BaseLayer) g.getLayer("lstm1_bwd_rev").conf().getLayer()).getIDropout());
        assertEquals(0.7, ((Dropout) ((BaseLayer) g.getLayer(LstmClassifier.OUTPUT).conf().getLayer()).getIDropout()).getP(), 1e-12);
    }

    @Test
    void aPaddedSequenceClassifiesLikeTheUnpaddedOneInBothDirections() {
        ComputationGraph g = init(LstmClassifier.configure(LstmClassifier.Spec.tiny(), NetDefaults.gradientCheck(3)));
        INDArray a = features(1, 3, 5);
        INDArray b = features(1, 3, 8);
        INDArray batch = Nd4j.zeros(a.dataType(), 2, 3, 8); // a right-padded beside a full-length b
        batch.get(NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.interval(0, 5)).assign(a.reshape(3, 5));
        batch.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.all()).assign(b.reshape(3, 8));
        batch.get(NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.interval(5, 8)).assign(7.0); // junk padding
        INDArray masked = g.output(false, new INDArray[] {batch}, new INDArray[] {mask(8, 5, 8)})[0];
        assertEquals(0, g.outputSingle(a).distance2(masked.getRow(0, true)), 1e-12);
        assertEquals(0, g.outputSingle(b).distance2(masked.getRow(1, true)), 1e-12);
        INDArray unmasked = g.outputSingle(batch);
        assertTrue(unmasked.getRow(0, true).distance2(masked.getRow(0, true)) > 1e-6, "without the mask the padding would count");
    }

    @Test
    void gradientsMatchFiniteDifferencesWithAndWithoutMasks() {
        ComputationGraph g = init(LstmClassifier.configure(new LstmClassifier.Spec(2, 2, 2, 2, Head.SOFTMAX, 0.0, true), NetDefaults.gradientCheck(4)));
        INDArray y = Nd4j.create(new double[][] {{1, 0}, {0, 1}, {1, 0}});
        SequenceNets.assertGradientsMatch(g, features(3, 2, 3), y, null, null, "no mask");
        SequenceNets.assertGradientsMatch(g, features(3, 2, 3), y, mask(3, 3, 1, 2), null, "masked");
    }

    @Test
    void saveAndLoadGiveIdenticalOutputs() throws Exception {
        ComputationGraph g = init(LstmClassifier.configure(LstmClassifier.Spec.tutorial(), NetDefaults.gradientCheck(5)));
        INDArray x = features(2, 16, 6);
        assertEquals(g.outputSingle(x), SequenceNets.roundTrip(g, Architecture.LSTM_CLASSIFIER).outputSingle(x));
    }
}
