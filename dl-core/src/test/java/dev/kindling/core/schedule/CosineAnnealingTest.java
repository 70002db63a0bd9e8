package dev.kindling.core.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class CosineAnnealingTest {

    /** Expected: 1e-3 * (1 + cos(pi * t / 50)) / 2, with cos(pi/50) = 0.998026728428272 (by hand). */
    @ParameterizedTest
    @CsvSource({
        "0,  1.0e-3",
        "1,  9.99013364214136e-4",   // (1 + 0.998026728428272) / 2 * 1e-3
        "25, 5.0e-4",                // cos(pi/2) = 0
        "49, 9.86635785864e-7",      // (1 - 0.998026728428272) / 2 * 1e-3
        "50, 0.0",                   // cos(pi) = -1
        "100, 1.0e-3",               // PyTorch's curve is not clamped: back to base after 2 * T_max
    })
    void seedScheduleHasTheClosedFormValuesAtChosenEpochs(int epoch, double expected) {
        assertEquals(expected, CosineAnnealing.tutorial().valueAt(epoch), 1e-15);
    }

    @Test
    void minLrIsTheFloorAtTMax() {
        CosineAnnealing c = new CosineAnnealing(0.1, 10, 0.01);
        assertEquals(0.01, c.valueAt(10), 1e-15);
        assertEquals(0.055, c.valueAt(5), 1e-15);
    }

    @Test
    void adapterIgnoresTheIterationAndFollowsTheEpoch() {
        CosineAnnealingSchedule s = new CosineAnnealingSchedule(CosineAnnealing.tutorial());
        assertEquals(5.0e-4, s.valueAt(12345, 25), 1e-15);
        assertEquals(s.valueAt(0, 25), s.valueAt(999, 25), 0.0);
    }

    @Test
    void scheduleSurvivesJsonRoundTripInsideAdamInsideAGraphConfiguration() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .updater(new Adam(new CosineAnnealingSchedule(1e-3, 50, 1e-5)))
                .graphBuilder()
                .addInputs("in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(2).nOut(1)
                        .activation(Activation.IDENTITY).build(), "in")
                .setOutputs("out")
                .build();

        ComputationGraphConfiguration restored = ComputationGraphConfiguration.fromJson(conf.toJson());

        BaseLayer layer = (BaseLayer) ((LayerVertex) restored.getVertices().get("out")).getLayerConf().getLayer();
        Adam adam = assertInstanceOf(Adam.class, layer.getIUpdater());
        CosineAnnealingSchedule schedule = assertInstanceOf(CosineAnnealingSchedule.class, adam.getLearningRateSchedule());
        assertEquals(new CosineAnnealing(1e-3, 50, 1e-5), schedule.cosine());
        assertEquals(adam.getLearningRate(0, 25), new CosineAnnealing(1e-3, 50, 1e-5).valueAt(25), 0.0);
        assertEquals(conf, restored);
    }

    @Test
    void rejectsMinLrAboveBaseLr() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CosineAnnealing(1e-3, 50, 1e-2));
        assertEquals("minLr=0.01: must be >= 0 and <= baseLr=0.001", e.getMessage());
    }
}
