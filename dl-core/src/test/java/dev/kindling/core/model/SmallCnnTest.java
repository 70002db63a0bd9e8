package dev.kindling.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Settings;
import dev.kindling.core.data.ImageShape;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Task;
import dev.kindling.core.loss.LabelSmoothingCrossEntropy;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

@ExtendWith(DoublePrecision.class) // the gradient check needs it; the other tests name their data types
class SmallCnnTest {

    private static ComputationGraph init(SmallCnn.Spec spec, NetDefaults d) {
        ComputationGraph g = new ComputationGraph(SmallCnn.configure(spec, d));
        g.init();
        return g;
    }

    private static NetDefaults adamW(long seed) {
        return NetDefaults.adamW(seed, DataType.FLOAT, CosineAnnealing.tutorial(), 5e-4);
    }

    @Test
    void shapesFollowTheSeedsTableOnCifarSizedImages() {
        ComputationGraph g = init(SmallCnn.Spec.tutorial(), adamW(1));
        Map<String, INDArray> a = g.feedForward(Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32), false);
        assertArrayEquals(new long[] {2, 32, 32, 32}, a.get("block1_relu").shape());
        assertArrayEquals(new long[] {2, 64, 32, 32}, a.get("block2_relu").shape());
        assertArrayEquals(new long[] {2, 64, 16, 16}, a.get("pool1").shape());
        assertArrayEquals(new long[] {2, 128, 16, 16}, a.get("block3_relu").shape());
        assertArrayEquals(new long[] {2, 128, 16, 16}, a.get("block4_relu").shape());
        assertArrayEquals(new long[] {2, 128, 8, 8}, a.get("pool2").shape());
        assertArrayEquals(new long[] {2, 256, 8, 8}, a.get("block5_relu").shape());
        assertArrayEquals(new long[] {2, 256}, a.get("gap").shape());
        assertArrayEquals(new long[] {2, 128}, a.get("fc1").shape());
        assertArrayEquals(new long[] {2, 10}, a.get(SmallCnn.OUTPUT).shape());
        // PyTorch's SmallCNN(10, in_ch=3) has 570,794 parameters; DL4J also stores BatchNorm's running
        // mean and variance as parameters: 2 x (32 + 64 + 128 + 128 + 256) more.
        assertEquals(570_794 + 2 * 608, g.numParams());
    }

    @Test
    void flatFashionMnistRowsAreSeenAsOneChannelImages() {
        ComputationGraph g = init(SmallCnn.Spec.seed(new ImageShape(1, 28, 28), true, 10, 0.4, 0.1), adamW(1));
        Map<String, INDArray> a = g.feedForward(Nd4j.rand(DataType.FLOAT, 3, 784), false);
        assertArrayEquals(new long[] {3, 32, 28, 28}, a.get("block1_relu").shape());
        assertArrayEquals(new long[] {3, 128, 14, 14}, a.get("block4_relu").shape());
        assertArrayEquals(new long[] {3, 256, 7, 7}, a.get("block5_relu").shape());
        assertArrayEquals(new long[] {3, 10}, a.get(SmallCnn.OUTPUT).shape());
        assertEquals(570_794 - 2 * 9 * 32 + 2 * 608, g.numParams()); // in_ch=1: 32x1x3x3 first conv
    }

    @Test
    void convBlocksHaveNoBiasSamePaddingAndTheHeadIsLabelSmoothedWithDropoutBeforeIt() {
        ComputationGraph g = init(SmallCnn.Spec.tutorial(), NetDefaults.gradientCheck(1));
        ConvolutionLayer conv = (ConvolutionLayer) g.getLayer("block3_conv").conf().getLayer();
        assertEquals(false, conv.hasBias());
        assertEquals(org.deeplearning4j.nn.conf.ConvolutionMode.Same, conv.getConvolutionMode());
        OutputLayer out = (OutputLayer) g.getLayer(SmallCnn.OUTPUT).conf().getLayer();
        assertEquals(new LabelSmoothingCrossEntropy(0.1), out.getLossFn());
        assertEquals(0.6, ((org.deeplearning4j.nn.conf.dropout.Dropout) out.getIDropout()).getP(), 1e-12);
    }

    @Test
    void gradientsMatchFiniteDifferencesInDouble() {
        ComputationGraph g = init(SmallCnn.Spec.tiny(), NetDefaults.gradientCheck(7));
        // fc1's bias starts at 0: an example whose pooled features are all 0 would sit exactly on ReLU's kink
        g.getParam("fc1_b").assign(0.1);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 2, 8, 8).subi(0.5);
        INDArray y = Nd4j.create(new double[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 1, 0}});
        Set<String> runningStats = new HashSet<>(); // BatchNorm's running statistics have no gradient
        for (int b = 1; b <= 5; b++) {
            for (String p : List.of("mean", "var", "log10stdev")) {
                runningStats.add("block" + b + "_bn_" + p);
            }
        }
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                .inputs(new INDArray[] {x}).labels(new INDArray[] {y}).excludeParams(runningStats)
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).exitOnFirstError(false)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
        assertTrue(ok, "gradient check failed");
    }

    @Test
    void saveAndLoadGiveIdenticalOutputs() throws Exception {
        ComputationGraph g = init(SmallCnn.Spec.seed(new ImageShape(3, 8, 8), false, 4, 0.4, 0.1), adamW(3));
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8);
        byte[] zip = ModelStore.toBytes(g, Architecture.SMALL_CNN, Map.of());
        ModelStore.Loaded back = ModelStore.fromBytes(zip, "memory");
        assertEquals(g.outputSingle(x), back.graph().outputSingle(x));
        assertEquals(Architecture.SMALL_CNN, back.architecture());
        ComputationGraphConfiguration json = ComputationGraphConfiguration.fromJson(g.getConfiguration().toJson());
        assertEquals(new LabelSmoothingCrossEntropy(0.1),
                ((OutputLayer) ((org.deeplearning4j.nn.conf.graph.LayerVertex) json.getVertices().get(SmallCnn.OUTPUT))
                        .getLayerConf().getLayer()).getLossFn());
    }

    private static Manifest manifest(int[] featureShape, Map<String, String> attributes, boolean binary) {
        return new Manifest(Manifest.FORMAT_VERSION, "imgs", "test", Task.CLASSIFICATION, featureShape,
                new int[] {binary ? 1 : 10}, binary ? 2 : 10, binary, 8, Map.of(), "f", 1, List.of(), false, attributes);
    }

    @Test
    void registryBuildsItForFlatImagesWithAnImageAttributeAndForChwFeatures() {
        ModelConfig c = ModelConfig.from(Settings.defaults(ModelConfig.SETTINGS));
        ModelConfig noSmoothing = ModelConfig.from(new dev.kindling.core.config.SettingsLoader(ModelConfig.SETTINGS).set(ModelConfig.LABEL_SMOOTHING, "0").load());
        NetDefaults d = adamW(1);
        ComputationGraph flat = new ComputationGraph(Architecture.SMALL_CNN.configure(
                manifest(new int[] {784}, Map.of("image", "1x28x28"), false), c, d));
        flat.init();
        assertArrayEquals(new long[] {2, 10}, flat.outputSingle(Nd4j.rand(DataType.FLOAT, 2, 784)).shape());
        ComputationGraph chw = new ComputationGraph(Architecture.SMALL_CNN.configure(
                manifest(new int[] {3, 32, 32}, Map.of(), false), noSmoothing, d));
        chw.init();
        assertTrue(((OutputLayer) chw.getLayer(SmallCnn.OUTPUT).conf().getLayer()).getLossFn()
                instanceof org.nd4j.linalg.lossfunctions.impl.LossMCXENT);
    }

    @Test
    void registryRefusesFlatFeaturesWithoutAnImageAttributeAndBinaryLabels() {
        var flat = assertThrows(ConfigException.class, () -> Architecture.SMALL_CNN.checkFits(manifest(new int[] {20}, Map.of(), false)));
        assertTrue(flat.getMessage().contains("not images"), flat.getMessage());
        var wrong = assertThrows(ConfigException.class,
                () -> Architecture.SMALL_CNN.checkFits(manifest(new int[] {784}, Map.of("image", "3x28x28"), false)));
        assertTrue(wrong.getMessage().contains("image=3x28x28 holds 2352 values"), wrong.getMessage());
        var binary = assertThrows(ConfigException.class,
                () -> Architecture.SMALL_CNN.checkFits(manifest(new int[] {1, 8, 8}, Map.of(), true)));
        assertTrue(binary.getMessage().contains("softmax head"), binary.getMessage());
        var mlp = assertThrows(ConfigException.class, () -> Architecture.MLP.checkFits(manifest(new int[] {3, 32, 32}, Map.of(), false)));
        assertTrue(mlp.getMessage().contains("flat vectors"), mlp.getMessage());
    }
}
