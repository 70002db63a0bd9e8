package dev.kindling.core.vision;

import dev.kindling.core.data.ImageShape;

/**
 * The seed's training transforms as pure functions on one image of [0, 1] pixels, {@code [C, H, W]}
 * row-major, returning a new array. Their parameters are given, not drawn, so each has a test with a
 * known answer; {@link ImageAugmentation} draws them. Semantics follow torchvision's tensor versions.
 */
public final class ImageTransforms {

    /**
     * {@code RandomCrop(H, padding=pad)}: zero-pad by {@code pad} on every side, then take the H x W
     * window whose top-left corner is ({@code top}, {@code left}) of the padded image, each in [0, 2 pad].
     */
    public static float[] crop(float[] img, ImageShape s, int pad, int top, int left) {
        int h = s.height();
        int w = s.width();
        float[] out = new float[img.length];
        for (int c = 0; c < s.channels(); c++) {
            for (int y = 0; y < h; y++) {
                int sy = y + top - pad;
                if (sy < 0 || sy >= h) {
                    continue;
                }
                for (int x = 0; x < w; x++) {
                    int sx = x + left - pad;
                    if (sx >= 0 && sx < w) {
                        out[(c * h + y) * w + x] = img[(c * h + sy) * w + sx];
                    }
                }
            }
        }
        return out;
    }

    /** {@code RandomHorizontalFlip} when it fires: column x becomes column W-1-x. */
    public static float[] flip(float[] img, ImageShape s) {
        int w = s.width();
        float[] out = new float[img.length];
        for (int row = 0; row < s.channels() * s.height(); row++) {
            for (int x = 0; x < w; x++) {
                out[row * w + x] = img[row * w + (w - 1 - x)];
            }
        }
        return out;
    }

    /** {@code adjust_brightness}: every pixel times {@code factor}, clamped to [0, 1]. */
    public static float[] brightness(float[] img, double factor) {
        float[] out = new float[img.length];
        for (int i = 0; i < img.length; i++) {
            out[i] = clamp(factor * img[i]);
        }
        return out;
    }

    /** {@code adjust_contrast}: blend with the mean of the grayscale image, {@code f x + (1 - f) mean}, clamped. */
    public static float[] contrast(float[] img, ImageShape s, double factor) {
        float[] gray = gray(img, s);
        double mean = 0;
        for (float g : gray) {
            mean += g;
        }
        mean /= gray.length;
        float[] out = new float[img.length];
        for (int i = 0; i < img.length; i++) {
            out[i] = clamp(factor * img[i] + (1 - factor) * mean);
        }
        return out;
    }

    /** {@code adjust_saturation}: blend each pixel with its grayscale value; a no-op on one channel. */
    public static float[] saturation(float[] img, ImageShape s, double factor) {
        if (s.channels() != 3) {
            return img.clone();
        }
        float[] gray = gray(img, s);
        int plane = gray.length;
        float[] out = new float[img.length];
        for (int i = 0; i < img.length; i++) {
            out[i] = clamp(factor * img[i] + (1 - factor) * gray[i % plane]);
        }
        return out;
    }

    /**
     * {@code rotate(angle)} with nearest-neighbour sampling and zero fill: positive degrees turn the
     * picture counter-clockwise as displayed (rows grow downwards), about the centre ((W-1)/2, (H-1)/2).
     */
    public static float[] rotate(float[] img, ImageShape s, double degrees) {
        int h = s.height();
        int w = s.width();
        double cx = (w - 1) / 2.0;
        double cy = (h - 1) / 2.0;
        double cos = Math.cos(Math.toRadians(degrees));
        double sin = Math.sin(Math.toRadians(degrees));
        float[] out = new float[img.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double dx = x - cx;
                double dy = y - cy;
                // the source of output (x, y): the inverse rotation
                long sx = Math.round(cx + dx * cos - dy * sin);
                long sy = Math.round(cy + dx * sin + dy * cos);
                if (sx < 0 || sx >= w || sy < 0 || sy >= h) {
                    continue;
                }
                for (int c = 0; c < s.channels(); c++) {
                    out[(c * h + y) * w + x] = img[(int) ((c * h + sy) * w + sx)];
                }
            }
        }
        return out;
    }

    /** Luma per pixel ({@code rgb_to_grayscale}: 0.299 R + 0.587 G + 0.114 B); the channel itself for one channel. */
    static float[] gray(float[] img, ImageShape s) {
        int plane = s.height() * s.width();
        float[] g = new float[plane];
        if (s.channels() == 3) {
            for (int i = 0; i < plane; i++) {
                g[i] = 0.299f * img[i] + 0.587f * img[plane + i] + 0.114f * img[2 * plane + i];
            }
        } else {
            for (int c = 0; c < s.channels(); c++) {
                for (int i = 0; i < plane; i++) {
                    g[i] += img[c * plane + i] / s.channels();
                }
            }
        }
        return g;
    }

    private static float clamp(double v) {
        return (float) Math.min(1.0, Math.max(0.0, v));
    }

    private ImageTransforms() {}
}
