package dev.kindling.core.model;

import dev.kindling.core.data.ImageShape;
import dev.kindling.core.optim.NetDefaults;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;

/**
 * The reference stack drawn in the header of the seed's vision section: three ConvBlocks (Conv k3
 * p1 + BN + ReLU) 3->64->128->256 with a 2x2 max pool after the first two, global average pooling,
 * Flatten, Linear(256, K). Seed: "Teach Machines to See", the section's diagram.
 *
 * <pre>
 * vertex                DL4J (NCHW)            seed diagram (224 x 224 input)
 * input                 [B, C, H, W]           (3 x 224 x 224)     or flat [B, C*H*W]
 * block1_conv/bn/relu   [B, 64, H, W]          (64 x 224 x 224)
 * pool1                 [B, 64, H/2, W/2]      (64 x 112 x 112)
 * block2_conv/bn/relu   [B, 128, H/2, W/2]     (128 x 112 x 112)
 * pool2                 [B, 128, H/4, W/4]     (128 x 56 x 56)
 * block3_conv/bn/relu   [B, 256, H/4, W/4]     (256 x 56 x 56)
 * gap                   [B, 256]               AdaptiveAvgPool2d(1) (256 x 1 x 1) + Flatten
 * output                [B, K]                 Linear(256, K)
 * </pre>
 * ConvBlocks, initialisation and loss are {@link SmallCnn}'s.
 */
public final class VggStyleCnn {
    public static final String INPUT = "input";
    public static final String OUTPUT = "output";

    /**
     * @param image          input geometry (H, W >= 4)
     * @param flatInput      features arrive as flat rows {@code [B, C*H*W]}
     * @param blocks         the three ConvBlock widths (the diagram's 64, 128, 256)
     * @param classes        K (>= 2)
     * @param labelSmoothing cross-entropy label smoothing, in [0, 1)
     */
    public record Spec(ImageShape image, boolean flatInput, int[] blocks, int classes, double labelSmoothing) {
        public Spec {
            blocks = blocks.clone();
            if (blocks.length != 3 || Arrays.stream(blocks).anyMatch(b -> b < 1)) {
                throw new IllegalArgumentException("blocks=" + Arrays.toString(blocks) + ": three ConvBlock widths, each >= 1");
            }
            if (image.height() < 4 || image.width() < 4) {
                throw new IllegalArgumentException("image=" + image.text() + ": height and width must be >= 4 (two 2x2 max pools)");
            }
            if (classes < 2) {
                throw new IllegalArgumentException("classes=" + classes + ": must be >= 2");
            }
            if (labelSmoothing < 0 || labelSmoothing >= 1) {
                throw new IllegalArgumentException("label-smoothing=" + labelSmoothing + ": must be in [0, 1)");
            }
        }

        /** The diagram's widths for a dataset's images. */
        public static Spec seed(ImageShape image, boolean flatInput, int classes, double labelSmoothing) {
            return new Spec(image, flatInput, new int[] {64, 128, 256}, classes, labelSmoothing);
        }

        /** The diagram: 3 x 224 x 224, 10 classes. */
        public static Spec tutorial() {
            return seed(new ImageShape(3, 224, 224), false, 10, 0.1);
        }

        /** Small enough for a double-precision gradient check. */
        public static Spec tiny() {
            return new Spec(new ImageShape(2, 8, 8), false, new int[] {3, 3, 4}, 3, 0.1);
        }
    }

    public static ComputationGraphConfiguration configure(Spec spec, NetDefaults defaults) {
        ImageShape im = spec.image();
        int[] w = spec.blocks();
        ComputationGraphConfiguration.GraphBuilder g = defaults.builder().graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(spec.flatInput() ? InputType.convolutionalFlat(im.height(), im.width(), im.channels())
                        : InputType.convolutional(im.height(), im.width(), im.channels()));
        String x = SmallCnn.convBlock(g, "block1", im.channels(), w[0], INPUT);
        g.addLayer("pool1", SmallCnn.maxPool2(), x);
        x = SmallCnn.convBlock(g, "block2", w[0], w[1], "pool1");
        g.addLayer("pool2", SmallCnn.maxPool2(), x);
        x = SmallCnn.convBlock(g, "block3", w[1], w[2], "pool2");
        g.addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), x);
        g.addLayer(OUTPUT, SmallCnn.softmaxHead(w[2], spec.classes(), 0, spec.labelSmoothing()), "gap");
        return defaults.finish(g.setOutputs(OUTPUT).build());
    }

    private VggStyleCnn() {}
}
