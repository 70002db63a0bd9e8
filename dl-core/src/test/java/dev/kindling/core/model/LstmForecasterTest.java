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
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;

@ExtendWith(DoublePrecision.class)
class LstmForecasterTest {

    @Test
    void shapesFollowTheSeedsTable() {
        ComputationGraph g = init(LstmForecaster.configure(LstmForecaster.Spec.tutorial(), NetDefaults.gradientCheck(1)));
        Map<String, INDArray> acts = g.feedForward(features(7, 16, 50), false);
        assertArrayEquals(new long[] {7, 128, 50}, acts.get("lstm1").shape());
        assertArrayEquals(new long[] {7, 128}, acts.get("last").shape()); // h_n[-1]
        assertArrayEquals(new long[] {7, 10}, acts.get(LstmForecaster.OUTPUT).shape());
        assertEquals(16 * 512 + 128 * 512 + 512 + 128 * 512 + 128 * 512 + 512 + 128 * 10 + 10, g.numParams());
        assertTrue(((OutputLayer) g.getLayer(LstmForecaster.OUTPUT).conf().getLayer()).getLossFn() instanceof LossMSE);
    }

    @Test
    void gradientsMatchFiniteDifferencesWithAndWithoutMasks() {
        ComputationGraph g = init(LstmForecaster.configure(LstmForecaster.Spec.tiny(), NetDefaults.gradientCheck(4)));
        INDArray y = features(3, 2, 1).reshape(3, 2);
        SequenceNets.assertGradientsMatch(g, features(3, 2, 5), y, null, null, "no mask");
        SequenceNets.assertGradientsMatch(g, features(3, 2, 5), y, mask(5, 5, 3, 1), null, "masked");
    }

    @Test
    void saveAndLoadGiveIdenticalOutputs() throws Exception {
        ComputationGraph g = init(LstmForecaster.configure(LstmForecaster.Spec.tiny(), NetDefaults.gradientCheck(5)));
        INDArray x = features(2, 2, 6);
        assertEquals(g.outputSingle(x), SequenceNets.roundTrip(g, Architecture.LSTM_FORECASTER).outputSingle(x));
    }
}
