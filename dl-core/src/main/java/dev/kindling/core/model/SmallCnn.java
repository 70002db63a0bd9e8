package dev.kindling.core.model;

import dev.kindling.core.data.ImageShape;
import dev.kindling.core.layer.ForwardOnceOutputLayer;
import dev.kindling.core.layer.ProductStatsBatchNorm;
import dev.kindling.core.layer.SlicedBackpropConvolution;
import dev.kindling.core.loss.LabelSmoothingCrossEntropy;
import dev.kindling.core.optim.NetDefaults;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * The seed's SmallCNN: five ConvBlocks (Conv k3 same padding no bias, BatchNorm, ReLU) with two 2x2
 * max pools, global average pooling, then Flatten, Linear(256,128), ReLU, Dropout(0.4),
 * Linear(128, classes). Seed: "Teach Machines to See", classes ConvBlock and SmallCNN.
 *
 * <pre>
 * vertex                DL4J (NCHW)        seed (PyTorch)                          note
 * input                 [B, C, H, W]       x (B, C, H, W)                          or flat [B, C*H*W] (convolutionalFlat)
 * block1_conv/bn/relu   [B, 32, H, W]      features[0] ConvBlock(C, 32)
 * block2_conv/bn/relu   [B, 64, H, W]      features[1] ConvBlock(32, 64)
 * pool1                 [B, 64, H/2, W/2]  features[2] MaxPool2d(2)                32->16 (28->14)
 * block3_conv/bn/relu   [B, 128, H/2, W/2] features[3] ConvBlock(64, 128)
 * block4_conv/bn/relu   [B, 128, H/2, W/2] features[4] ConvBlock(128, 128)
 * pool2                 [B, 128, H/4, W/4] features[5] MaxPool2d(2)                16->8 (14->7)
 * block5_conv/bn/relu   [B, 256, H/4, W/4] features[6] ConvBlock(128, 256)
 * gap                   [B, 256]           features[7] AdaptiveAvgPool2d(1) + classifier[0] Flatten
 * fc1                   [B, 128]           classifier[1..2] Linear(256, 128), ReLU
 * output                [B, K]             classifier[3..4] Dropout(0.4), Linear(128, K)   DL4J drops a layer's input
 * </pre>
 * Conv and linear weights are drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's default,
 * fan_in = C_in * 9 for a conv); BatchNorm starts at gamma 1, beta 0 with eps 1e-5 and running-stat
 * decay 0.9 (PyTorch's momentum 0.1). The loss is softmax cross-entropy, label-smoothed when
 * {@code labelSmoothing > 0} ({@link LabelSmoothingCrossEntropy}).
 */
public final class SmallCnn {
    public static final String INPUT = "input";
    public static final String OUTPUT = "output";

    /**
     * @param image          input geometry C x H x W (any H, W >= 4: two 2x2 pools)
     * @param flatInput      features arrive as flat rows {@code [B, C*H*W]} (Fashion-MNIST's shards)
     * @param blocks         the five ConvBlock widths (the seed's 32, 64, 128, 128, 256)
     * @param hidden         classifier hidden width (the seed's 128)
     * @param classes        K (>= 2)
     * @param dropout        drop probability before the last Linear, in [0, 1)
     * @param labelSmoothing cross-entropy label smoothing, in [0, 1)
     */
    public record Spec(ImageShape image, boolean flatInput, int[] blocks, int hidden, int classes, double dropout,
                       double labelSmoothing) {
        public Spec {
            blocks = blocks.clone();
            if (blocks.length != 5 || Arrays.stream(blocks).anyMatch(b -> b < 1)) {
                throw new IllegalArgumentException("blocks=" + Arrays.toString(blocks) + ": five ConvBlock widths, each >= 1");
            }
            if (image.height() < 4 || image.width() < 4) {
                throw new IllegalArgumentException("image=" + image.text() + ": height and width must be >= 4 (two 2x2 max pools)");
            }
            if (hidden < 1) {
                throw new IllegalArgumentException("hidden=" + hidden + ": must be >= 1");
            }
            if (classes < 2) {
                throw new IllegalArgumentException("classes=" + classes + ": must be >= 2");
            }
            if (dropout < 0 || dropout >= 1) {
                throw new IllegalArgumentException("dropout=" + dropout + ": must be in [0, 1)");
            }
            if (labelSmoothing < 0 || labelSmoothing >= 1) {
                throw new IllegalArgumentException("label-smoothing=" + labelSmoothing + ": must be in [0, 1)");
            }
        }

        /** The seed's SmallCNN(num_classes=10, in_ch) for a dataset's images. */
        public static Spec seed(ImageShape image, boolean flatInput, int classes, double dropout, double labelSmoothing) {
            return new Spec(image, flatInput, new int[] {32, 64, 128, 128, 256}, 128, classes, dropout, labelSmoothing);
        }

        /** The seed's SmallCNN on CIFAR-10: 3x32x32, 10 classes, dropout 0.4, label smoothing 0.1. */
        public static Spec tutorial() {
            return seed(new ImageShape(3, 32, 32), false, 10, 0.4, 0.1);
        }

        /** Small enough for a double-precision gradient check. */
        public static Spec tiny() {
            return new Spec(new ImageShape(2, 8, 8), false, new int[] {2, 3, 3, 2, 3}, 4, 3, 0.0, 0.1);
        }
    }

    public static ComputationGraphConfiguration configure(Spec spec, NetDefaults defaults) {
        ImageShape im = spec.image();
        int[] w = spec.blocks();
        ComputationGraphConfiguration.GraphBuilder g = defaults.builder().graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(spec.flatInput() ? InputType.convolutionalFlat(im.height(), im.width(), im.channels())
                        : InputType.convolutional(im.height(), im.width(), im.channels()));
        String x = convBlock(g, "block1", im.channels(), w[0], INPUT);
        x = convBlock(g, "block2", w[0], w[1], x);
        g.addLayer("pool1", maxPool2(), x);
        x = convBlock(g, "block3", w[1], w[2], "pool1");
        x = convBlock(g, "block4", w[2], w[3], x);
        g.addLayer("pool2", maxPool2(), x);
        x = convBlock(g, "block5", w[3], w[4], "pool2");
        g.addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), x);
        g.addLayer("fc1", new DenseLayer.Builder().nIn(w[4]).nOut(spec.hidden()).activation(Activation.RELU)
                .weightInit(Mlp.pytorchLinear(w[4])).build(), "gap");
        g.addLayer(OUTPUT, softmaxHead(spec.hidden(), spec.classes(), spec.dropout(), spec.labelSmoothing()), "fc1");
        return defaults.finish(g.setOutputs(OUTPUT).build());
    }

    /** ConvBlock: Conv(k3, same padding, no bias) + BatchNorm + ReLU; returns the last vertex name. */
    static String convBlock(ComputationGraphConfiguration.GraphBuilder g, String name, int in, int out, String from) {
        g.addLayer(name + "_conv", SlicedBackpropConvolution.of(new ConvolutionLayer.Builder(3, 3).stride(1, 1)
                .convolutionMode(ConvolutionMode.Same).nIn(in).nOut(out).hasBias(false).activation(Activation.IDENTITY)
                .weightInit(Mlp.pytorchLinear(in * 9)).build()), from);
        g.addLayer(name + "_bn", ProductStatsBatchNorm.of(new BatchNormalization.Builder().nOut(out).eps(1e-5).decay(0.9).build()),
                name + "_conv");
        g.addLayer(name + "_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), name + "_bn");
        return name + "_relu";
    }

    static SubsamplingLayer maxPool2() {
        return new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build();
    }

    /** Dropout(p) then Linear(nIn, K) with softmax cross-entropy, label-smoothed when {@code smoothing > 0} ({@link ForwardOnceOutputLayer}). */
    static OutputLayer softmaxHead(int nIn, int classes, double dropout, double smoothing) {
        ILossFunction loss = smoothing > 0 ? new LabelSmoothingCrossEntropy(smoothing) : new LossMCXENT();
        OutputLayer.Builder b = new OutputLayer.Builder(loss).activation(Activation.SOFTMAX).nIn(nIn).nOut(classes)
                .weightInit(Mlp.pytorchLinear(nIn));
        if (dropout > 0) {
            b.dropOut(new Dropout(1.0 - dropout)); // DL4J's argument is the retain probability
        }
        return ForwardOnceOutputLayer.of(b.build());
    }

    private SmallCnn() {}
}
