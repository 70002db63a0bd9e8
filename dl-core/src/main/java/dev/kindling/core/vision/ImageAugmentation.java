package dev.kindling.core.vision;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.data.ImageNormalization;
import dev.kindling.core.data.ImageShape;
import dev.kindling.core.data.Manifest;
import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The seed's training augmentation, applied to a minibatch as it is trained, fresh every epoch:
 * {@code RandomCrop(size, padding=4)}, {@code RandomHorizontalFlip(0.5)},
 * {@code ColorJitter(0.2, 0.2, 0.2)} (brightness, then contrast, then saturation; torchvision picks
 * their order at random), {@code RandomRotation(10)}, then normalisation. Shards hold normalised
 * features (prepare-data normalised them once, so validation and test need nothing more); this maps
 * them back to [0, 1] pixels with the manifest's mean/std, transforms, and normalises again.
 *
 * <p>Every random draw comes from (seed, epoch, step), so a step sees the same images in a rerun, a
 * resumed run and on any executor. Each image draws all seven parameters whether its transform is
 * enabled or not, so enabling one transform does not change another's draws. A plain serializable
 * class: the Spark loader ships it to executors.
 */
public final class ImageAugmentation implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final List<String> TRANSFORMS = List.of("crop", "flip", "jitter", "rotate");
    public static final int PAD = 4;
    public static final double JITTER = 0.2;
    public static final double DEGREES = 10;

    private final ImageShape shape;
    private final ImageNormalization norm;
    private final boolean crop;
    private final boolean flip;
    private final boolean jitter;
    private final boolean rotate;

    public ImageAugmentation(ImageShape shape, ImageNormalization norm, Set<String> transforms) {
        for (String t : transforms) {
            if (!TRANSFORMS.contains(t)) {
                throw new ConfigException("augment=" + t + ": unknown transform; valid: none, seed, or a comma list of " + String.join(", ", TRANSFORMS));
            }
        }
        this.shape = shape;
        this.norm = norm;
        this.crop = transforms.contains("crop");
        this.flip = transforms.contains("flip");
        this.jitter = transforms.contains("jitter");
        this.rotate = transforms.contains("rotate");
    }

    /**
     * The {@code --augment} setting for a dataset: null for {@code none}; otherwise the dataset must be
     * images with a recorded mean/std (a clear error names it when not).
     */
    public static ImageAugmentation parse(String setting, Manifest m) {
        String v = setting.trim();
        if (v.equals("none")) {
            return null;
        }
        Set<String> transforms = new LinkedHashSet<>();
        if (v.equals("seed")) {
            transforms.addAll(TRANSFORMS);
        } else {
            for (String t : v.split(",")) {
                transforms.add(t.trim());
            }
        }
        if (!ImageShape.isImage(m)) {
            throw new ConfigException("augment=" + v + ": dataset " + m.name() + " is not images; use --augment=none");
        }
        return new ImageAugmentation(ImageShape.of(m), ImageNormalization.of(m), transforms);
    }

    /** The augmented minibatch of training step {@code step} of {@code epoch}; labels and masks unchanged. */
    public DataSet apply(DataSet ds, long seed, int epoch, int step) {
        INDArray f = ds.getFeatures();
        long[] originalShape = f.shape();
        int b = (int) originalShape[0];
        if (f.length() != (long) b * shape.size()) {
            throw new IllegalArgumentException("features of shape " + Arrays.toString(originalShape) + " are not images " + shape.text());
        }
        float[][] rows = f.reshape('c', b, shape.size()).toFloatMatrix();
        Random rng = new Random(mix(seed, epoch, step));
        float[] out = new float[b * shape.size()];
        for (int i = 0; i < b; i++) {
            System.arraycopy(transform(rows[i], rng), 0, out, i * shape.size(), shape.size());
        }
        INDArray augmented = Nd4j.create(out, originalShape, DataType.FLOAT).castTo(f.dataType());
        return new DataSet(augmented, ds.getLabels(), ds.getFeaturesMaskArray(), ds.getLabelsMaskArray());
    }

    /** One normalised image through the pipeline, drawing its parameters from {@code rng}. */
    float[] transform(float[] normalized, Random rng) {
        int top = rng.nextInt(2 * PAD + 1);
        int left = rng.nextInt(2 * PAD + 1);
        boolean flipIt = rng.nextDouble() < 0.5;
        double brightness = 1 + JITTER * (2 * rng.nextDouble() - 1);
        double contrast = 1 + JITTER * (2 * rng.nextDouble() - 1);
        double saturation = 1 + JITTER * (2 * rng.nextDouble() - 1);
        double degrees = DEGREES * (2 * rng.nextDouble() - 1);
        float[] img = pixels(normalized);
        if (crop) {
            img = ImageTransforms.crop(img, shape, PAD, top, left);
        }
        if (flip && flipIt) {
            img = ImageTransforms.flip(img, shape);
        }
        if (jitter) {
            img = ImageTransforms.saturation(ImageTransforms.contrast(ImageTransforms.brightness(img, brightness), shape, contrast),
                    shape, saturation);
        }
        if (rotate) {
            img = ImageTransforms.rotate(img, shape, degrees);
        }
        return normalize(img);
    }

    float[] pixels(float[] normalized) {
        int plane = shape.height() * shape.width();
        float[] p = new float[normalized.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = norm.pixel(normalized[i], i / plane);
        }
        return p;
    }

    float[] normalize(float[] pixels) {
        int plane = shape.height() * shape.width();
        float[] n = new float[pixels.length];
        for (int i = 0; i < n.length; i++) {
            n[i] = norm.normalize(pixels[i], i / plane);
        }
        return n;
    }

    /** One generator seed per (seed, epoch, step). */
    static long mix(long seed, int epoch, int step) {
        long h = seed * 0x9E3779B97F4A7C15L + (long) epoch * 0xC2B2AE3D27D4EB4FL + step * 0x165667B19E3779F9L;
        return h ^ (h >>> 31);
    }
}
