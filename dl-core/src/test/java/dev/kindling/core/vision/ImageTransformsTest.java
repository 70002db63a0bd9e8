package dev.kindling.core.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.kindling.core.data.ImageShape;
import org.junit.jupiter.api.Test;

/** Each transform on a small image with a known answer. */
class ImageTransformsTest {
    private static final ImageShape ONE_3X3 = new ImageShape(1, 3, 3);
    private static final float[] NINE = {1, 2, 3, 4, 5, 6, 7, 8, 9}; // [[1,2,3],[4,5,6],[7,8,9]]

    @Test
    void cropTakesAWindowOfTheZeroPaddedImage() {
        assertArrayEquals(new float[] {0, 0, 0, 0, 1, 2, 0, 4, 5}, ImageTransforms.crop(NINE, ONE_3X3, 1, 0, 0));
        assertArrayEquals(new float[] {5, 6, 0, 8, 9, 0, 0, 0, 0}, ImageTransforms.crop(NINE, ONE_3X3, 1, 2, 2));
        assertArrayEquals(NINE, ImageTransforms.crop(NINE, ONE_3X3, 1, 1, 1)); // the centre window
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0, 0, 0, 1}, ImageTransforms.crop(NINE, ONE_3X3, 4, 2, 2));
    }

    @Test
    void flipMirrorsEveryRowOfEveryChannel() {
        float[] twoChannels = {1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60}; // [2, 2, 3]
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4, 30, 20, 10, 60, 50, 40},
                ImageTransforms.flip(twoChannels, new ImageShape(2, 2, 3)));
    }

    @Test
    void brightnessScalesAndClampsToOne() {
        assertArrayEquals(new float[] {0.3f, 1f, 0f}, ImageTransforms.brightness(new float[] {0.2f, 0.8f, 0f}, 1.5), 1e-6f);
    }

    @Test
    void contrastBlendsWithTheMeanGrayLevel() {
        float[] img = {0f, 1f, 0.5f, 0.5f}; // one channel, mean 0.5
        ImageShape s = new ImageShape(1, 2, 2);
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, ImageTransforms.contrast(img, s, 0), 1e-6f);
        assertArrayEquals(new float[] {0.1f, 0.9f, 0.5f, 0.5f}, ImageTransforms.contrast(img, s, 0.8), 1e-6f);
        assertArrayEquals(new float[] {0f, 1f, 0.5f, 0.5f}, ImageTransforms.contrast(img, s, 1.2), 1e-6f); // clamped
        // pure red everywhere: gray 0.299, factor 0.5 -> R 0.6495, G and B 0.1495
        assertArrayEquals(new float[] {0.6495f, 0.1495f, 0.1495f},
                ImageTransforms.contrast(new float[] {1, 0, 0}, new ImageShape(3, 1, 1), 0.5), 1e-6f);
    }

    @Test
    void saturationBlendsEachPixelWithItsGrayAndLeavesOneChannelAlone() {
        ImageShape rgb = new ImageShape(3, 1, 2);
        float[] img = {1, 0.5f, 0, 0.5f, 0, 0.5f}; // pixel 0 red, pixel 1 gray 0.5
        assertArrayEquals(new float[] {0.299f, 0.5f, 0.299f, 0.5f, 0.299f, 0.5f}, ImageTransforms.saturation(img, rgb, 0), 1e-6f);
        assertArrayEquals(new float[] {1f, 0.5f, 0f, 0.5f, 0f, 0.5f}, ImageTransforms.saturation(img, rgb, 1.2), 1e-6f);
        assertArrayEquals(NINE, ImageTransforms.saturation(NINE, ONE_3X3, 0));
    }

    @Test
    void rotationTurnsCounterClockwiseAboutTheCentreWithZeroFill() {
        assertArrayEquals(new float[] {3, 6, 9, 2, 5, 8, 1, 4, 7}, ImageTransforms.rotate(NINE, ONE_3X3, 90));
        assertArrayEquals(new float[] {7, 4, 1, 8, 5, 2, 9, 6, 3}, ImageTransforms.rotate(NINE, ONE_3X3, -90));
        assertArrayEquals(NINE, ImageTransforms.rotate(NINE, ONE_3X3, 0));
        // 10 degrees on a 3x3 moves nothing by half a pixel: nearest sampling keeps it
        assertArrayEquals(NINE, ImageTransforms.rotate(NINE, ONE_3X3, 10));
        // a 1x5 strip turned 90 degrees: only the centre pixel has a source inside; the rest is zero fill
        assertArrayEquals(new float[] {0, 0, 3, 0, 0}, ImageTransforms.rotate(new float[] {1, 2, 3, 4, 5}, new ImageShape(1, 1, 5), 90));
    }
}
