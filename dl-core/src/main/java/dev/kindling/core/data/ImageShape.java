package dev.kindling.core.data;

import dev.kindling.core.config.ConfigException;
import java.io.Serializable;

/**
 * The geometry of an image dataset, {@code [C, H, W]} (DL4J's NCHW without the batch axis).
 * prepare-data records it as the manifest attribute {@code image=CxHxW}: Fashion-MNIST keeps its flat
 * {@code [784]} features (the MLP reads them) and says {@code image=1x28x28}; CIFAR-10 stores
 * {@code [3, 32, 32]} features and says {@code image=3x32x32}. A CNN reads either form.
 *
 * @param channels C (>= 1)
 * @param height   H (>= 1)
 * @param width    W (>= 1)
 */
public record ImageShape(int channels, int height, int width) implements Serializable {
    /** Manifest attribute holding {@code CxHxW}. */
    public static final String ATTRIBUTE = "image";

    public ImageShape {
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("image=" + channels + "x" + height + "x" + width + ": every size must be >= 1");
        }
    }

    /** Values per image, C*H*W. */
    public int size() {
        return channels * height * width;
    }

    /** The attribute value, {@code CxHxW}. */
    public String text() {
        return channels + "x" + height + "x" + width;
    }

    public static ImageShape parse(String text) {
        String[] p = text.trim().split("x");
        try {
            if (p.length == 3) {
                return new ImageShape(Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]));
            }
        } catch (IllegalArgumentException e) {
            // falls through to the message below
        }
        throw new ConfigException("image=" + text + ": not CxHxW with positive integers, e.g. 3x32x32");
    }

    /**
     * The dataset's image geometry: {@code [C, H, W]} features, or flat features with an
     * {@code image} attribute whose size matches; otherwise a clear error naming the dataset.
     */
    public static ImageShape of(Manifest m) {
        int[] f = m.featureShape();
        String attr = m.attributes().get(ATTRIBUTE);
        if (f.length == 3) {
            return new ImageShape(f[0], f[1], f[2]);
        }
        if (f.length == 1 && attr != null) {
            ImageShape s = parse(attr);
            if (s.size() != f[0]) {
                throw new ConfigException("data=" + m.name() + ": attribute image=" + attr + " holds " + s.size()
                        + " values but features are [" + f[0] + "]; re-run prepare-data");
            }
            return s;
        }
        throw new ConfigException("data=" + m.name() + ": features of shape " + java.util.Arrays.toString(f)
                + " are not images ([C, H, W], or flat with an image=CxHxW attribute); use an image dataset such as fashion-mnist or cifar10");
    }

    /** Whether a manifest describes images in either form. */
    public static boolean isImage(Manifest m) {
        try {
            of(m);
            return true;
        } catch (ConfigException e) {
            return false;
        }
    }
}
