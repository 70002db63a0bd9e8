package dev.kindling.spark.legacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.kindling.core.data.ImageNormalization;
import dev.kindling.core.data.ImageShape;
import dev.kindling.core.vision.ImageAugmentation;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.common.loader.LocalFileSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** The executors' loader augments a shard exactly as {@code --dist local} does at the shard's step. */
class AugmentingLoaderTest {

    @Test
    void loadsAShardAndAugmentsItAtItsStepInTheEpochAfterJavaSerialization(@TempDir Path dir) throws Exception {
        ImageShape shape = new ImageShape(1, 6, 6);
        ImageAugmentation aug = new ImageAugmentation(shape, new ImageNormalization(new float[] {0.3f}, new float[] {0.3f}),
                Set.copyOf(ImageAugmentation.TRANSFORMS));
        DataSet shard = new DataSet(Nd4j.rand(DataType.FLOAT, 4, 36), Nd4j.eye(4).castTo(DataType.FLOAT));
        Path a = dir.resolve("part-00000.bin");
        Path b = dir.resolve("part-00001.bin");
        for (Path p : List.of(a, b)) {
            try (OutputStream os = Files.newOutputStream(p)) {
                shard.save(os);
            }
        }
        String pa = new LocalFileSource(a.toString()).getPath();
        String pb = new LocalFileSource(b.toString()).getPath();
        AugmentingLoader loader = roundTrip(new AugmentingLoader(aug, 42, 3, List.of(pb, pa)));
        DataSet loaded = loader.load(new LocalFileSource(a.toString()));
        assertEquals(aug.apply(shard, 42, 3, 1).getFeatures(), loaded.getFeatures()); // pa is step 1 of the order
        assertEquals(shard.getLabels(), loaded.getLabels());
        assertNotEquals(shard.getFeatures(), loaded.getFeatures());
        assertEquals(aug.apply(shard, 42, 3, 0).getFeatures(), loader.load(new LocalFileSource(b.toString())).getFeatures());
    }

    /** Spark ships the loader inside its task closure with Java serialization. */
    private static AugmentingLoader roundTrip(AugmentingLoader l) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(l);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (AugmentingLoader) in.readObject();
        }
    }
}
