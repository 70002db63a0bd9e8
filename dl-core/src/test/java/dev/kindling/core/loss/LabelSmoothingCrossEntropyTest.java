package dev.kindling.core.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.databind.ObjectMapper;

@ExtendWith(DoublePrecision.class)
class LabelSmoothingCrossEntropyTest {

    /** PyTorch: F.cross_entropy(tensor([[1.,2.,3.]]), tensor([2]), label_smoothing=0.1) = 0.50760596. */
    @Test
    void scoreMatchesPytorchsLabelSmoothedCrossEntropy() {
        INDArray logits = Nd4j.create(new double[][] {{1, 2, 3}});
        INDArray y = Nd4j.create(new double[][] {{0, 0, 1}});
        double score = new LabelSmoothingCrossEntropy(0.1).computeScore(y, logits, new ActivationSoftmax(), null, true);
        // by hand: logsumexp = 3.40760596; -log p = [2.40760596, 1.40760596, 0.40760596];
        // (1 - 0.1) * 0.40760596 + 0.1 * mean(-log p) = 0.36684536 + 0.14076060
        assertEquals(0.50760596, score, 1e-7);
        assertEquals(0.40760596, new LabelSmoothingCrossEntropy(0).computeScore(y, logits, new ActivationSoftmax(), null, true), 1e-7);
    }

    @Test
    void softmaxGradientIsProbabilitiesMinusTheSmoothedTarget() {
        INDArray logits = Nd4j.create(new double[][] {{1, 2, 3}});
        INDArray y = Nd4j.create(new double[][] {{0, 0, 1}});
        INDArray g = new LabelSmoothingCrossEntropy(0.3).computeGradient(y, logits, new ActivationSoftmax(), null);
        double[] p = {0.09003057, 0.24472847, 0.66524096};
        double[] target = {0.1, 0.1, 0.8};
        for (int k = 0; k < 3; k++) {
            assertEquals(p[k] - target[k], g.getDouble(0, k), 1e-7);
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesThroughANetwork() {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE)
                .updater(new NoOp()).graphBuilder().addInputs("in").setInputTypes(InputType.feedForward(4))
                .addLayer("fc", new DenseLayer.Builder().nOut(5).activation(Activation.TANH).build(), "in")
                .addLayer("out", new OutputLayer.Builder(new LabelSmoothingCrossEntropy(0.1)).activation(Activation.SOFTMAX)
                        .nOut(3).build(), "fc")
                .setOutputs("out").build());
        net.init();
        INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 4).subi(0.5);
        INDArray y = Nd4j.create(new double[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 1, 0}});
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {x}).labels(new INDArray[] {y})
                .epsilon(1e-6).maxRelError(1e-6).minAbsoluteError(1e-10).exitOnFirstError(false)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)));
    }

    @Test
    void survivesAJsonRoundTripAsDl4jWritesConfigurations() throws Exception {
        ObjectMapper json = org.deeplearning4j.nn.conf.NeuralNetConfiguration.mapper();
        String text = json.writeValueAsString(new LabelSmoothingCrossEntropy(0.1));
        assertEquals(new LabelSmoothingCrossEntropy(0.1), json.readValue(text, ILossFunction.class));
        assertEquals(0.1, json.readTree(text).get("smoothing").asDouble(), text);
    }

    @Test
    void rejectsSmoothingOutsideZeroToOne() {
        var e = assertThrows(IllegalArgumentException.class, () -> new LabelSmoothingCrossEntropy(1.0));
        assertTrue(e.getMessage().contains("label-smoothing=1.0"), e.getMessage());
    }
}
