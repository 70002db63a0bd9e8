package dev.kindling.core.data;

import dev.kindling.core.config.ConfigException;
import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-channel normalisation {@code (pixel / 255 - mean[c]) / std[c]} that prepare-data applied to an
 * image dataset's shards, recorded in the manifest ({@code image-mean}, {@code image-std}, comma
 * separated per channel) so that validation and test data are normalised once, at preparation, and
 * training augmentation can map features back to [0, 1] pixels, transform them and normalise again.
 *
 * @param mean per channel, in pixel units [0, 1]
 * @param std  per channel, > 0
 */
public record ImageNormalization(float[] mean, float[] std) implements Serializable {
    public static final String MEAN = "image-mean";
    public static final String STD = "image-std";

    public ImageNormalization {
        mean = mean.clone();
        std = std.clone();
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("image-mean has " + mean.length + " channels but image-std " + std.length);
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("image-std=" + Arrays.toString(std) + ": every channel must be > 0");
            }
        }
    }

    /** The manifest attributes for an image source: its shape, mean and std. */
    public static Map<String, String> attributes(ImageShape shape, float[] mean, float[] std) {
        ImageNormalization n = new ImageNormalization(mean, std);
        if (mean.length != shape.channels()) {
            throw new IllegalArgumentException("image=" + shape.text() + " has " + shape.channels() + " channels but " + mean.length + " means");
        }
        Map<String, String> m = new LinkedHashMap<>();
        m.put(ImageShape.ATTRIBUTE, shape.text());
        m.put(MEAN, join(n.mean));
        m.put(STD, join(n.std));
        return m;
    }

    /** What the dataset's shards were normalised with; a clear error when the manifest does not say. */
    public static ImageNormalization of(Manifest m) {
        ImageShape shape = ImageShape.of(m);
        ImageNormalization n = new ImageNormalization(parse(m, MEAN), parse(m, STD));
        if (n.mean.length != shape.channels()) {
            throw new ConfigException("data=" + m.name() + ": " + MEAN + " has " + n.mean.length + " values for " + shape.channels() + " channels; re-run prepare-data");
        }
        return n;
    }

    private static float[] parse(Manifest m, String key) {
        String[] parts = m.attribute(key).split(",");
        float[] v = new float[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                v[i] = Float.parseFloat(parts[i].trim());
            }
        } catch (NumberFormatException e) {
            throw new ConfigException("data=" + m.name() + ": attribute " + key + "=" + m.attribute(key) + " is not comma-separated numbers; re-run prepare-data");
        }
        return v;
    }

    private static String join(float[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ",").append(v[i]);
        }
        return sb.toString();
    }

    /** Normalised value of a [0, 1] pixel of channel c. */
    public float normalize(float pixel, int c) {
        return (pixel - mean[c]) / std[c];
    }

    /** The [0, 1] pixel a normalised value of channel c came from. */
    public float pixel(float normalized, int c) {
        return normalized * std[c] + mean[c];
    }
}
