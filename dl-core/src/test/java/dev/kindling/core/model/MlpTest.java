package dev.kindling.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.layer.DenseLayerNorm;
import dev.kindling.core.layer.MlpTrunk;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import java.util.Map;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossBinaryXENT;

@ExtendWith(DoublePrecision.class) // the gradient check needs it; the other tests name their data types
class MlpTest {

    private static ComputationGraph init(Mlp.Spec spec, NetDefaults d) {
        ComputationGraph g = new ComputationGraph(Mlp.configure(spec, d));
        g.init();
        return g;
    }

    @Test
    void shapesFollowTheSeedsTable() {
        NetDefaults d = NetDefaults.adamW(1, DataType.FLOAT, CosineAnnealing.tutorial(), 1e-4);
        ComputationGraph g = init(Mlp.Spec.tutorial(), d);
        Map<String, INDArray> acts = g.feedForward(Nd4j.rand(DataType.FLOAT, 7, 20), false);
        assertArrayEquals(new long[] {7, 64}, acts.get(Mlp.TRUNK).shape());
        assertArrayEquals(new long[] {7, 1}, acts.get(Mlp.OUTPUT).shape());
        // Linear(20,128) + LayerNorm(128) + Linear(128,64) + Linear(64,1): PyTorch's parameter count
        assertEquals(20 * 128 + 128 + 2 * 128 + 128 * 64 + 64 + 64 + 1, g.numParams());
        ComputationGraph layers = new ComputationGraph(Mlp.configure(Mlp.Spec.tutorial(), d, Mlp.Form.LAYERS));
        layers.init();
        Map<String, INDArray> five = layers.feedForward(Nd4j.rand(DataType.FLOAT, 7, 20), false);
        assertArrayEquals(new long[] {7, 128}, five.get("fc1").shape());
        assertArrayEquals(new long[] {7, 128}, five.get("ln1").shape());
        assertArrayEquals(new long[] {7, 128}, five.get("relu1").shape());
        assertArrayEquals(new long[] {7, 64}, five.get("fc2").shape());
        assertEquals(g.numParams(), layers.numParams());
    }

    @Test
    void headsAreSigmoidBceForBinaryAndSoftmaxForMulticlass() {
        ComputationGraph binary = init(Mlp.Spec.tutorial(), NetDefaults.gradientCheck(1));
        OutputLayer out = (OutputLayer) binary.getLayer(Mlp.OUTPUT).conf().getLayer();
        assertTrue(out.getActivationFn() instanceof ActivationSigmoid);
        assertTrue(out.getLossFn() instanceof LossBinaryXENT);
        ComputationGraph multi = init(new Mlp.Spec(784, 256, 10, Head.SOFTMAX, 0.3), NetDefaults.gradientCheck(1));
        assertTrue(((OutputLayer) multi.getLayer(Mlp.OUTPUT).conf().getLayer()).getActivationFn() instanceof ActivationSoftmax);
        assertEquals(10, multi.outputSingle(Nd4j.rand(DataType.DOUBLE, 2, 784)).size(1));
    }

    @Test
    void dropoutSitsBeforeTheSecondLinear() {
        ComputationGraph g = init(Mlp.Spec.tutorial(), NetDefaults.gradientCheck(1));
        assertEquals(0.3, ((MlpTrunk) g.getLayer(Mlp.TRUNK).conf().getLayer()).getDropout(), 1e-12);
        ComputationGraph layers = new ComputationGraph(Mlp.configure(Mlp.Spec.tutorial(), NetDefaults.gradientCheck(1), Mlp.Form.LAYERS));
        layers.init();
        DenseLayer fc2 = (DenseLayer) layers.getLayer("fc2").conf().getLayer();
        assertEquals(0.7, ((org.deeplearning4j.nn.conf.dropout.Dropout) fc2.getIDropout()).getP(), 1e-12, "DL4J's retain probability");
        assertTrue(layers.getLayer("ln1").conf().getLayer() instanceof DenseLayerNorm);
    }

    @Test
    void gradientsMatchFiniteDifferencesInDouble() {
        for (Head head : Head.values()) {
            Mlp.Spec spec = new Mlp.Spec(5, 6, 3, head, 0.0);
            ComputationGraph g = init(spec, NetDefaults.gradientCheck(7));
            INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 5).subi(0.5);
            INDArray y = head == Head.BINARY ? Nd4j.create(new double[][] {{1}, {0}, {1}, {0}})
                    : Nd4j.create(new double[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 0, 0}});
            boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                    .inputs(new INDArray[] {x}).labels(new INDArray[] {y})
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).exitOnFirstError(false)
                    .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
            assertTrue(ok, "gradient check failed for the " + head + " head");
        }
    }

    @Test
    void saveAndLoadGiveIdenticalOutputs() throws Exception {
        ComputationGraph g = init(Mlp.Spec.tutorial(), NetDefaults.adamW(3, DataType.FLOAT, CosineAnnealing.tutorial(), 1e-4));
        INDArray x = Nd4j.rand(DataType.FLOAT, 5, 20);
        byte[] zip = ModelStore.toBytes(g, Architecture.MLP, Map.of(ModelStore.CONFIG_ENTRY, "model=mlp\n".getBytes()));
        ModelStore.Loaded back = ModelStore.fromBytes(zip, "memory");
        assertEquals(g.outputSingle(x), back.graph().outputSingle(x));
        assertEquals("model=mlp\n", back.text(ModelStore.CONFIG_ENTRY));
        assertEquals(Architecture.MLP, back.architecture());
    }

    @Test
    void modelOfAnotherArchitectureVersionIsRefusedWithTheFix() throws Exception {
        ComputationGraph g = init(Mlp.Spec.tiny(), NetDefaults.gradientCheck(1));
        byte[] zip = ModelStore.toBytes(g, Architecture.MLP, Map.of());
        byte[] edited = replaceEntry(zip, ModelStore.MODEL_ENTRY, "format=1\narchitecture=mlp\narchitecture-version=99\n");
        var e = assertThrows(dev.kindling.core.io.InputException.class, () -> ModelStore.fromBytes(edited, "/m.zip"));
        assertTrue(e.getMessage().contains("mlp architecture version 99, this Kindling builds version 1"), e.getMessage());
    }

    private static byte[] replaceEntry(byte[] zip, String name, String text) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (var in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip));
             var z = new java.util.zip.ZipOutputStream(out)) {
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                z.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
                z.write(e.getName().equals(name) ? text.getBytes() : in.readAllBytes());
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    @Test
    void corruptModelZipIsAnErrorNamingIt() {
        var e = assertThrows(dev.kindling.core.io.InputException.class,
                () -> ModelStore.fromBytes("not a zip".getBytes(), "/runs/x/model.zip"));
        assertTrue(e.getMessage().contains("/runs/x/model.zip"), e.getMessage());
    }

    @Test
    void specRejectsOddHiddenWidth() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Mlp.Spec(20, 127, 2, Head.BINARY, 0.3));
        assertTrue(e.getMessage().contains("hidden=127"), e.getMessage());
    }
}
