package dev.kindling.core.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.data.ImageNormalization;
import dev.kindling.core.data.ImageShape;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Task;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class ImageAugmentationTest {
    private static final ImageShape SHAPE = new ImageShape(1, 4, 4);
    private static final ImageNormalization FASHION = new ImageNormalization(new float[] {0.2860f}, new float[] {0.3530f});

    private static DataSet batch(int n) {
        INDArray f = Nd4j.rand(DataType.FLOAT, n, 16).muli(2).subi(0.8); // flat rows, as Fashion-MNIST's shards
        INDArray l = Nd4j.eye(n).castTo(DataType.FLOAT);
        return new DataSet(f, l);
    }

    private static Manifest manifest(int[] featureShape, Map<String, String> attributes) {
        return new Manifest(Manifest.FORMAT_VERSION, "imgs", "test", Task.CLASSIFICATION, featureShape, new int[] {3}, 3, false, 8,
                Map.of(), "f", 1, List.of(), false, attributes);
    }

    @Test
    void normalisationUsesTheGivenMeanAndStdAndInvertsExactly() {
        ImageAugmentation none = new ImageAugmentation(SHAPE, FASHION, Set.of());
        float[] pixels = new float[16];
        pixels[0] = 1f;
        float[] n = none.normalize(pixels);
        assertEquals((1f - 0.2860f) / 0.3530f, n[0], 1e-6);
        assertEquals(-0.2860f / 0.3530f, n[1], 1e-6);
        assertArrayEquals(pixels, none.pixels(n), 1e-6f);
        DataSet ds = batch(3);
        assertEquals(ds.getFeatures(), none.apply(ds, 1, 0, 0).getFeatures()); // no transform: the same values back (to float rounding)
    }

    @Test
    void sameSeedEpochAndStepGiveTheSameImagesAndOthersDiffer() {
        ImageAugmentation all = new ImageAugmentation(SHAPE, FASHION, Set.copyOf(ImageAugmentation.TRANSFORMS));
        DataSet ds = batch(6);
        INDArray a = all.apply(ds, 42, 3, 7).getFeatures();
        assertEquals(a, all.apply(ds, 42, 3, 7).getFeatures());
        assertNotEquals(a, all.apply(ds, 42, 4, 7).getFeatures());
        assertNotEquals(a, all.apply(ds, 42, 3, 8).getFeatures());
        assertNotEquals(a, all.apply(ds, 43, 3, 7).getFeatures());
        assertArrayEquals(new long[] {6, 16}, a.shape());
        assertEquals(ds.getLabels(), all.apply(ds, 42, 3, 7).getLabels());
    }

    @Test
    void flipAloneMirrorsSomeImagesAndLeavesTheRestAsTheyWere() {
        ImageAugmentation flip = new ImageAugmentation(SHAPE, FASHION, Set.of("flip"));
        DataSet ds = batch(32);
        INDArray out = flip.apply(ds, 5, 0, 0).getFeatures();
        int flipped = 0;
        for (int i = 0; i < 32; i++) {
            float[] in = ds.getFeatures().getRow(i).toFloatVector();
            float[] got = out.getRow(i).toFloatVector();
            float[] mirrored = ImageTransforms.flip(in, SHAPE);
            boolean same = approx(in, got);
            boolean mirror = approx(mirrored, got);
            assertTrue(same || mirror, "image " + i + " is neither itself nor its mirror");
            flipped += mirror && !same ? 1 : 0;
        }
        assertTrue(flipped > 4 && flipped < 28, "flipped " + flipped + " of 32 with p = 0.5");
    }

    private static boolean approx(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Math.abs(a[i] - b[i]) > 1e-5) {
                return false;
            }
        }
        return true;
    }

    @Test
    void chwFeaturesKeepTheirShape() {
        ImageShape rgb = new ImageShape(3, 4, 4);
        ImageAugmentation all = new ImageAugmentation(rgb, new ImageNormalization(new float[] {0.4f, 0.5f, 0.6f},
                new float[] {0.2f, 0.2f, 0.2f}), Set.copyOf(ImageAugmentation.TRANSFORMS));
        DataSet ds = new DataSet(Nd4j.rand(DataType.FLOAT, 2, 3, 4, 4), Nd4j.eye(2).castTo(DataType.FLOAT));
        assertArrayEquals(new long[] {2, 3, 4, 4}, all.apply(ds, 1, 0, 0).getFeatures().shape());
    }

    @Test
    void settingIsParsedAgainstTheDataset() {
        Map<String, String> attrs = Map.of("image", "1x4x4", "image-mean", "0.286", "image-std", "0.353");
        assertNull(ImageAugmentation.parse("none", manifest(new int[] {16}, attrs)));
        assertTrue(ImageAugmentation.parse("seed", manifest(new int[] {16}, attrs)) != null);
        assertTrue(ImageAugmentation.parse("flip, crop", manifest(new int[] {16}, attrs)) != null);
        var unknown = assertThrows(ConfigException.class, () -> ImageAugmentation.parse("flip,blur", manifest(new int[] {16}, attrs)));
        assertTrue(unknown.getMessage().contains("augment=blur"), unknown.getMessage());
        var flat = assertThrows(ConfigException.class, () -> ImageAugmentation.parse("seed", manifest(new int[] {16}, Map.of())));
        assertTrue(flat.getMessage().contains("is not images"), flat.getMessage());
        var noStats = assertThrows(ConfigException.class,
                () -> ImageAugmentation.parse("seed", manifest(new int[] {16}, Map.of("image", "1x4x4"))));
        assertTrue(noStats.getMessage().contains("image-mean"), noStats.getMessage());
    }
}
