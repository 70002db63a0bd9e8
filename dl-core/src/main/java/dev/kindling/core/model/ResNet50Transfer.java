package dev.kindling.core.model;

import dev.kindling.core.data.ImageShape;
import dev.kindling.core.io.InputException;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.ScaledSchedule;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInitRelu;
import org.deeplearning4j.util.ModelSerializer;
import org.deeplearning4j.zoo.model.ResNet50;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.FixedSchedule;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * The seed's ResNet50 transfer learning on DL4J's zoo ResNet50 graph (vertex names are the zoo's,
 * Keras-style: stage 2..5 = torchvision's layer1..layer4). The zoo's classifier ("avgpool", which in
 * DL4J M2.1 is a 3x3 max pool, and "output") is replaced by global average pooling and the seed's head.
 * Seed: "Teach Machines to See", section 3 (Strategy 1 and Strategy 2).
 *
 * <pre>
 * vertex         DL4J (NCHW)          seed (torchvision)            note
 * input          [B, C, H, W]         x (B, 3, H, W)                or flat [B, C*H*W]
 * stem-*         [B, 64, H/4, W/4]    conv1, bn1, relu, maxpool     zoo: zero pad 3, conv 7x7/2, BN, ReLU, max 3x3/2
 * res2*..res5c   [B, 2048, h, w]      layer1..layer4                zoo's stage 2 also strides by 2
 * gap            [B, 2048]            avgpool + flatten
 * fc1            [B, 256]             fc[0..1] Linear(2048, 256), ReLU
 * output         [B, K]               fc[2..3] Dropout(0.5), Linear(256, K)   DL4J drops a layer's input
 * </pre>
 * Strategy {@link Strategy#FROZEN}: every backbone layer is a DL4J {@code FrozenLayer} (its parameters
 * and BatchNorm statistics never change); only the head trains. Strategy {@link Strategy#FINETUNE}:
 * the seed's optimizer groups: layer4 (stage 5) at 0.1 x lr, layer3 (stage 4) at 0.05 x lr, the head
 * at lr (1e-4, 5e-5, 1e-3 for lr 1e-3); the stem, layer1 and layer2 are in no group of the seed's
 * optimizer, so they stay fixed here too (frozen). Pretrained weights are never downloaded:
 * {@link #loadBackbone} copies them from a DL4J zip the user passes.
 */
public final class ResNet50Transfer {
    public static final String INPUT = "input";
    public static final String OUTPUT = "output";
    /** The backbone's last vertex. */
    public static final String BACKBONE_OUT = "res5c_branch";
    /** Last vertex of layer2 (stage 3): everything up to it stays fixed when fine-tuning. */
    public static final String LAYER2_OUT = "res3d_branch";
    public static final double LAYER4_FACTOR = 0.1;
    public static final double LAYER3_FACTOR = 0.05;

    /** Which layers train: {@code --transfer=frozen|finetune}. */
    public enum Strategy implements dev.kindling.core.config.Choice {
        FROZEN, FINETUNE
    }

    /**
     * @param image          input geometry (H, W >= 32: five stride-2 stages)
     * @param flatInput      features arrive as flat rows {@code [B, C*H*W]}
     * @param classes        K (>= 2)
     * @param strategy       which layers train
     * @param hidden         head width (the seed's 256)
     * @param dropout        drop probability before the last Linear (the seed's 0.5)
     * @param labelSmoothing cross-entropy label smoothing, in [0, 1)
     */
    public record Spec(ImageShape image, boolean flatInput, int classes, Strategy strategy, int hidden, double dropout,
                       double labelSmoothing) {
        public Spec {
            if (image.height() < 28 || image.width() < 28) {
                throw new IllegalArgumentException("image=" + image.text() + ": ResNet50 needs height and width >= 28");
            }
            if (classes < 2 || hidden < 1) {
                throw new IllegalArgumentException("classes=" + classes + ", hidden=" + hidden + ": need classes >= 2 and hidden >= 1");
            }
            if (dropout < 0 || dropout >= 1 || labelSmoothing < 0 || labelSmoothing >= 1) {
                throw new IllegalArgumentException("dropout=" + dropout + ", label-smoothing=" + labelSmoothing + ": each must be in [0, 1)");
            }
        }

        /** The seed's head for a dataset's images. */
        public static Spec seed(ImageShape image, boolean flatInput, int classes, Strategy strategy, double labelSmoothing) {
            return new Spec(image, flatInput, classes, strategy, 256, 0.5, labelSmoothing);
        }
    }

    /** The transfer graph's configuration (the backbone is built and initialised once to derive it). */
    public static ComputationGraphConfiguration configure(Spec spec, NetDefaults defaults) {
        ImageShape im = spec.image();
        // He (kaiming) initialisation instead of the zoo's truncated normal(0, 0.5): a frozen backbone's BatchNorm
        // runs on its initial statistics (mean 0, variance 1), through which std-0.5 weights overflow float
        ComputationGraphConfiguration.GraphBuilder zoo = ResNet50.builder().seed(defaults.seed()).weightInit(new WeightInitRelu())
                .inputShape(new int[] {im.channels(), im.height(), im.width()}).numClasses(spec.classes()).build().graphBuilder();
        zoo.removeVertex(OUTPUT).removeVertex("avgpool");
        // setInputTypes appends to the zoo's own; replace it (flat rows get DL4J's reshaping preprocessor)
        zoo.setNetworkInputTypes(new java.util.ArrayList<>(java.util.List.of(spec.flatInput()
                ? InputType.convolutionalFlat(im.height(), im.width(), im.channels())
                : InputType.convolutional(im.height(), im.width(), im.channels()))));
        zoo.addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), BACKBONE_OUT)
                .addLayer("fc1", new DenseLayer.Builder().nIn(2048).nOut(spec.hidden()).activation(Activation.RELU)
                        .weightInit(Mlp.pytorchLinear(2048)).build(), "gap")
                .addLayer(OUTPUT, SmallCnn.softmaxHead(spec.hidden(), spec.classes(), spec.dropout(), spec.labelSmoothing()), "fc1")
                .setOutputs(OUTPUT);
        ComputationGraph base = new ComputationGraph(zoo.build());
        base.init();
        // the zoo's RmsProp gives way to Kindling's optimizer on every layer
        FineTuneConfiguration tune = new FineTuneConfiguration.Builder().seed(defaults.seed()).updater(defaults.updater()).build();
        ComputationGraphConfiguration conf = new TransferLearning.GraphBuilder(base).fineTuneConfiguration(tune)
                .setFeatureExtractor(spec.strategy() == Strategy.FROZEN ? BACKBONE_OUT : LAYER2_OUT)
                .build().getConfiguration();
        conf.setDataType(defaults.dataType());
        // ... and the zoo's L1 1e-7 and L2 5e-5 give way to decoupled weight decay. Set here, on each trainable
        // layer: FineTuneConfiguration.weightDecay throws a ConcurrentModificationException in DL4J M2.1.
        java.util.List<org.nd4j.linalg.learning.regularization.Regularization> decay = defaults.weightDecay() > 0
                ? java.util.List.of(new dev.kindling.core.optim.LossOnlyScore.DecoupledDecay(
                        new org.nd4j.linalg.schedule.FixedSchedule(defaults.weightDecay()), true))
                : java.util.List.of();
        for (var e : conf.getVertices().entrySet()) {
            if (e.getValue() instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BaseLayer bl) {
                bl.setRegularization(new java.util.ArrayList<>(decay));
                bl.setRegularizationBias(new java.util.ArrayList<>(decay));
                double factor = spec.strategy() != Strategy.FINETUNE ? 1
                        : stage(e.getKey()) == 5 ? LAYER4_FACTOR : stage(e.getKey()) == 4 ? LAYER3_FACTOR : 1;
                if (factor != 1) {
                    bl.setIUpdater(scaled(bl.getIUpdater(), factor));
                    bl.setBiasUpdater(bl.getBiasUpdater() == null ? null : scaled(bl.getBiasUpdater(), factor));
                }
            }
        }
        return conf;
    }

    /** The zoo's stage of a vertex name ("res4b_branch2a", "bn5a_branch1" ...), or 0 outside stages 2-5. */
    static int stage(String vertex) {
        for (String prefix : new String[] {"res", "bn", "act", "short"}) {
            if (vertex.startsWith(prefix) && vertex.length() > prefix.length() && Character.isDigit(vertex.charAt(prefix.length()))) {
                return vertex.charAt(prefix.length()) - '0';
            }
        }
        return 0;
    }

    /** The same updater with its learning rate (or schedule) times {@code factor}. */
    static IUpdater scaled(IUpdater u, double factor) {
        if (!u.hasLearningRate()) {
            return u;
        }
        IUpdater copy = u.clone();
        ISchedule base = copy instanceof Adam a && a.getLearningRateSchedule() != null ? a.getLearningRateSchedule()
                : new FixedSchedule(copy.getLearningRate(0, 0));
        copy.setLrAndSchedule(Double.NaN, new ScaledSchedule(base, factor));
        return copy;
    }

    /**
     * Copies every backbone layer's parameters (BatchNorm statistics included) from a pretrained
     * ResNet50 saved as a DL4J zip (for example the zoo's {@code resnet50_dl4j_inference.v3.zip},
     * fetched by the user: Kindling never downloads). The head keeps its initialisation.
     *
     * @param where the zip's URI, for messages
     */
    public static void loadBackbone(ComputationGraph net, byte[] zip, String where) {
        ComputationGraph pretrained;
        try {
            pretrained = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(zip), false);
        } catch (IOException | RuntimeException e) {
            throw new InputException("weights=" + where + ": not a DL4J ComputationGraph zip (" + e.getMessage()
                    + "); pass the zip of DL4J's zoo ResNet50, e.g. resnet50_dl4j_inference.v3.zip", e);
        }
        int copied = 0;
        for (Layer layer : net.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            if (name.equals("fc1") || name.equals(OUTPUT) || layer.numParams() == 0) {
                continue;
            }
            Layer source = pretrained.getLayer(name);
            if (source == null) {
                throw new InputException("weights=" + where + ": has no layer " + name + "; pass a zip of DL4J's zoo ResNet50");
            }
            INDArray from = source.params();
            if (!Arrays.equals(from.shape(), layer.params().shape())) {
                throw new InputException("weights=" + where + ": layer " + name + " has " + from.length() + " parameters, this network "
                        + layer.params().length() + " (pretrained weights take 3-channel images)");
            }
            layer.setParams(from.castTo(layer.params().dataType()).dup());
            copied++;
        }
        if (copied == 0) {
            throw new InputException("weights=" + where + ": no backbone layer matched");
        }
    }

    /** Whether a configuration's vertex is frozen (its parameters never change). */
    public static boolean frozen(ComputationGraphConfiguration conf, String vertex) {
        GraphVertex v = conf.getVertices().get(vertex);
        return v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
    }

    private ResNet50Transfer() {}
}
