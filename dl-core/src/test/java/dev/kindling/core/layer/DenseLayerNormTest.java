package dev.kindling.core.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.optim.AdamW;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import java.io.File;
import java.nio.file.Path;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The plain-DL4J LayerNorm computes what the SameDiff {@link LayerNorm} computes, forward and backward. */
@ExtendWith(DoublePrecision.class)
class DenseLayerNormTest {
    private static final long SEED = 12345;

    /** in(4) -> fc1 Dense(5, tanh) -> ln1 -> out Output(3, softmax). */
    private static ComputationGraph tinyNet(Layer layerNorm) {
        ComputationGraph net = new ComputationGraph(LayerNormTest.tinyGraph(layerNorm));
        net.init();
        return net;
    }

    /** Gain and bias away from their initial values, so their gradients are exercised in general position. */
    private static void perturb(ComputationGraph net) {
        Nd4j.getRandom().setSeed(SEED);
        net.getLayer("ln1").getParam(DenseLayerNorm.GAIN).assign(Nd4j.rand(DataType.DOUBLE, 1, 5).addi(0.5));
        net.getLayer("ln1").getParam(DenseLayerNorm.BIAS).assign(Nd4j.randn(DataType.DOUBLE, 1, 5));
    }

    private static INDArray labels() {
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, 3, 3);
        return labels.putScalar(0, 0, 1.0).putScalar(1, 2, 1.0).putScalar(2, 1, 1.0);
    }

    @Test
    void outputsAndGradientsEqualTheSameDiffLayerNorm() {
        ComputationGraph ours = tinyNet(new DenseLayerNorm(5));
        perturb(ours);
        ComputationGraph sameDiff = tinyNet(new LayerNorm(5));
        assertEquals(ours.numParams(), sameDiff.numParams());
        sameDiff.setParams(ours.params().dup()); // the same flat layout: g then b in ln1
        INDArray input = Nd4j.randn(DataType.DOUBLE, 3, 4);

        assertTrue(ours.outputSingle(input).equalsWithEps(sameDiff.outputSingle(input), 1e-12));
        for (ComputationGraph net : new ComputationGraph[] {ours, sameDiff}) {
            net.setInputs(input);
            net.setLabels(labels());
            net.computeGradientAndScore();
        }
        assertEquals(sameDiff.score(), ours.score(), 1e-12);
        INDArray a = ours.gradient().gradient();
        INDArray b = sameDiff.gradient().gradient();
        assertTrue(a.equalsWithEps(b, 1e-10), "gradients differ:\n" + a + "\n" + b);
        assertTrue(ours.gradient().getGradientFor("ln1_" + DenseLayerNorm.GAIN).norm2Number().doubleValue() > 0);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        ComputationGraph net = tinyNet(new DenseLayerNorm(5));
        perturb(net);
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig()
                .net(net).inputs(new INDArray[] {Nd4j.randn(DataType.DOUBLE, 3, 4)}).labels(new INDArray[] {labels()})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).exitOnFirstError(false)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
        assertTrue(ok, "gradient check failed; see the log");
    }

    @Test
    void startsAsIdentityAffineAndTakesItsSizeFromTheInputType() {
        ComputationGraph net = tinyNet(new DenseLayerNorm());
        assertArrayEquals(new long[] {1, 5}, net.getLayer("ln1").getParam(DenseLayerNorm.GAIN).shape());
        assertEquals(5.0, net.getLayer("ln1").getParam(DenseLayerNorm.GAIN).sumNumber().doubleValue(), 0.0);
        assertEquals(0.0, net.getLayer("ln1").getParam(DenseLayerNorm.BIAS).norm1Number().doubleValue(), 0.0);
    }

    @Test
    void configurationSurvivesJsonAndTheModelASaveLoadRoundTrip(@TempDir Path dir) throws Exception {
        ComputationGraph net = tinyNet(new DenseLayerNorm(5));
        perturb(net);
        ComputationGraphConfiguration restoredConf = ComputationGraphConfiguration.fromJson(net.getConfiguration().toJson());
        assertEquals(net.getConfiguration(), restoredConf);
        DenseLayerNorm layer = (DenseLayerNorm) ((LayerVertex) restoredConf.getVertices().get("ln1")).getLayerConf().getLayer();
        assertEquals(1e-5, layer.getEps(), 0.0);
        File file = dir.resolve("model.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
        INDArray input = Nd4j.randn(DataType.DOUBLE, 4, 4);
        assertEquals(net.params(), restored.params());
        assertEquals(net.outputSingle(input), restored.outputSingle(input));
    }

    /** AdamW with decoupled decay on gain and bias, dropout on: ten steps end at the same parameters. */
    @Test
    void trainsIdenticallyToTheSameDiffLayerNormUnderAdamW() {
        NetDefaults defaults = NetDefaults.adamW(SEED, DataType.DOUBLE, new CosineAnnealing(1e-2, 50, 0), 1e-2);
        java.util.function.Function<Layer, ComputationGraph> build = ln -> {
            ComputationGraph net = new ComputationGraph(defaults.finish(defaults.builder().graphBuilder()
                    .addInputs("in")
                    .addLayer("fc1", new DenseLayer.Builder().nIn(4).nOut(6).activation(Activation.IDENTITY).build(), "in")
                    .addLayer("ln1", ln, "fc1")
                    .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(3)
                            .activation(Activation.SOFTMAX).dropOut(0.7).build(), "ln1")
                    .setOutputs("out")
                    .setInputTypes(InputType.feedForward(4))
                    .build()));
            net.init();
            return net;
        };
        ComputationGraph ours = build.apply(new DenseLayerNorm(6));
        ComputationGraph sameDiff = build.apply(new LayerNorm(6));
        for (String p : java.util.List.of(DenseLayerNorm.GAIN, DenseLayerNorm.BIAS)) {
            assertEquals(sameDiff.getLayer("ln1").conf().getLayer().getRegularizationByParam(p),
                    ours.getLayer("ln1").conf().getLayer().getRegularizationByParam(p), p);
        }
        sameDiff.setParams(ours.params().dup());
        Nd4j.getRandom().setSeed(SEED);
        org.nd4j.linalg.dataset.DataSet data = new org.nd4j.linalg.dataset.DataSet(Nd4j.randn(DataType.DOUBLE, 8, 4),
                Nd4j.eye(3).castTo(DataType.DOUBLE).getRows(0, 1, 2, 0, 1, 2, 0, 1));
        for (int step = 0; step < 10; step++) {
            Nd4j.getRandom().setSeed(SEED + step);
            ours.fit(data);
            Nd4j.getRandom().setSeed(SEED + step);
            sameDiff.fit(data);
        }
        double diff = ours.params().sub(sameDiff.params()).amaxNumber().doubleValue();
        assertTrue(diff < 1e-9, "parameters differ after 10 AdamW steps by " + diff);
        assertTrue(ours.getLayer("ln1").getParam(DenseLayerNorm.BIAS).amaxNumber().doubleValue() > 1e-3, "the bias trained");
    }

    @Test
    void rejectsNonPositiveSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DenseLayerNorm(0));
        assertTrue(e.getMessage().startsWith("size=0"), e.getMessage());
    }
}
