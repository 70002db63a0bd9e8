package dev.kindling.core.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import dev.kindling.core.DoublePrecision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

@ExtendWith(DoublePrecision.class)
class LayerNormTest {
    private static final long SEED = 12345;
    /** in(4) -> fc1 Dense(5, tanh) -> ln1 LayerNorm -> out Output(3, softmax). */
    static ComputationGraphConfiguration tinyGraph(org.deeplearning4j.nn.conf.layers.Layer layerNorm) {
        return new NeuralNetConfiguration.Builder()
                .seed(SEED)
                .dataType(DataType.DOUBLE)
                .updater(new NoOp())
                .weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .addLayer("fc1", new DenseLayer.Builder().nIn(4).nOut(5).activation(Activation.TANH).build(), "in")
                .addLayer("ln1", layerNorm, "fc1")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "ln1")
                .setOutputs("out")
                .setInputTypes(InputType.feedForward(4))
                .build();
    }

    private static ComputationGraph initialized(ComputationGraphConfiguration conf) {
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        ComputationGraph net = initialized(tinyGraph(new LayerNorm(5)));
        Nd4j.getRandom().setSeed(SEED);
        // away from the init values (gain 1, bias 0) so that their gradients are exercised in general position
        net.getLayer("ln1").getParam(LayerNorm.GAIN).assign(Nd4j.rand(DataType.DOUBLE, 1, 5).addi(0.5));
        net.getLayer("ln1").getParam(LayerNorm.BIAS).assign(Nd4j.randn(DataType.DOUBLE, 1, 5));
        INDArray input = Nd4j.randn(DataType.DOUBLE, 3, 4);
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, 3, 3);
        labels.putScalar(0, 0, 1.0).putScalar(1, 2, 1.0).putScalar(2, 1, 1.0);

        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig()
                .net(net).inputs(new INDArray[] {input}).labels(new INDArray[] {labels})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).exitOnFirstError(false).print(GradientCheckUtil.PrintMode.FAILURES_ONLY));

        assertTrue(ok, "gradient check failed; see the log");
    }

    @Test
    void forwardEqualsTheTextbookFormulaWithBiasedVariance() {
        ComputationGraph net = initialized(new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .graphBuilder()
                .addInputs("in")
                .addLayer("ln1", new LayerNorm(3), "in")
                .setOutputs("ln1")
                .setInputTypes(InputType.feedForward(3))
                .build());
        double[] gain = {0.5, -2.0, 1.5};
        double[] bias = {0.1, 0.0, -0.3};
        net.getLayer("ln1").getParam(LayerNorm.GAIN).assign(Nd4j.createFromArray(new double[][] {gain}));
        net.getLayer("ln1").getParam(LayerNorm.BIAS).assign(Nd4j.createFromArray(new double[][] {bias}));
        double[][] x = {{1.0, 2.0, 4.0}, {-3.0, 0.5, 0.25}};

        double[][] actual = net.outputSingle(Nd4j.createFromArray(x)).toDoubleMatrix();

        for (int r = 0; r < x.length; r++) {
            double mean = (x[r][0] + x[r][1] + x[r][2]) / 3;
            double var = 0;
            for (double v : x[r]) {
                var += (v - mean) * (v - mean);
            }
            var /= 3; // biased, as torch.nn.LayerNorm
            for (int c = 0; c < 3; c++) {
                double expected = gain[c] * (x[r][c] - mean) / Math.sqrt(var + 1e-5) + bias[c];
                assertEquals(expected, actual[r][c], 1e-12, "row " + r + " col " + c);
            }
        }
    }

    @Test
    void startsAsIdentityAffineWithUnitGainAndZeroBias() {
        ComputationGraph net = initialized(tinyGraph(new LayerNorm(5)));
        assertEquals(5.0, net.getLayer("ln1").getParam(LayerNorm.GAIN).sumNumber().doubleValue(), 0.0);
        assertEquals(0.0, net.getLayer("ln1").getParam(LayerNorm.BIAS).norm1Number().doubleValue(), 0.0);
    }

    @Test
    void configurationSurvivesJsonRoundTrip() {
        ComputationGraphConfiguration conf = tinyGraph(new LayerNorm(5, 1e-3));

        ComputationGraphConfiguration restored = ComputationGraphConfiguration.fromJson(conf.toJson());

        assertEquals(conf, restored);
        LayerVertex vertex = (LayerVertex) restored.getVertices().get("ln1");
        LayerNorm layer = (LayerNorm) vertex.getLayerConf().getLayer();
        assertEquals(5, layer.getSize());
        assertEquals(1e-3, layer.getEps(), 0.0);
    }

    @Test
    void noArgLayerTakesItsSizeFromTheInputType() {
        ComputationGraph net = initialized(tinyGraph(new LayerNorm()));
        assertArrayEquals(new long[] {1, 5}, net.getLayer("ln1").getParam(LayerNorm.GAIN).shape());
    }

    @Test
    void savedAndRestoredModelGivesIdenticalOutputs(@TempDir Path dir) throws Exception {
        ComputationGraph net = initialized(tinyGraph(new LayerNorm(5)));
        Nd4j.getRandom().setSeed(SEED);
        net.getLayer("ln1").getParam(LayerNorm.GAIN).assign(Nd4j.rand(DataType.DOUBLE, 1, 5));
        INDArray input = Nd4j.randn(DataType.DOUBLE, 4, 4);
        File file = dir.resolve("model.zip").toFile();

        ModelSerializer.writeModel(net, file, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);

        assertEquals(net.params(), restored.params());
        assertEquals(net.outputSingle(input), restored.outputSingle(input));
    }

    @Test
    void rejectsNonPositiveSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LayerNorm(0));
        assertTrue(e.getMessage().startsWith("size=0"), e.getMessage());
    }
}
