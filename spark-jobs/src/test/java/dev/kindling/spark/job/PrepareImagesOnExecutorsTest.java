package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.core.data.ImageNormalization;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Shards;
import dev.kindling.core.data.Task;
import dev.kindling.core.io.LocalStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/**
 * prepare-data --dataset=images on Spark's executors (local[2]): a folder of PNG and JPEG images of three
 * colours in several sizes becomes normalised 3x32x32 examples whose class is their folder, and trains the
 * small CNN; an image that does not decode and a class folder with no image are named, or skipped and
 * counted.
 */
class PrepareImagesOnExecutorsTest {
    static final String[] CLASSES = {"blue", "green", "red"};

    /** {@code perClass} images per colour folder, written by scripts/examples/ExampleImages.java (PNG and JPEG, sizes vary), and a text file. */
    static void writeFolder(Path root, int perClass) throws Exception {
        Process p = new ProcessBuilder("java", ReadmeTest.ROOT.resolve("scripts/examples/ExampleImages.java").toString(), root.toString(),
                Integer.toString(perClass)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        Files.writeString(root.resolve("red/notes.txt"), "not an image: ignored");
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void anImageFolderBecomesNormalisedExamplesOfItsClassesAndTrainsTheSmallCnn(@TempDir Path dir) throws Exception {
        writeFolder(dir.resolve("images"), 80);
        String[] args = {"prepare-data", "--dataset=images", "--source-path=" + dir.resolve("images"), "--image-size=32", "--batch-size=16",
                "--split-mb=1", "--master=local[2]"};
        Cli prep = Cli.run(Cli.concat(args, "--out=" + dir.resolve("a")));
        assertEquals(0, prep.exit(), prep.err());
        LocalStorage storage = new LocalStorage();
        Manifest m = Shards.manifest(storage, dir.resolve("a").toString());
        assertEquals(Task.CLASSIFICATION, m.task());
        assertEquals(List.of(3, 32, 32), Arrays.stream(m.featureShape()).boxed().toList());
        assertEquals(List.of(CLASSES), m.classNames(), "the class folders, sorted; notes.txt is not an image");
        assertEquals(240, m.splits().values().stream().mapToLong(Manifest.Split::examples).sum());
        assertTrue(m.split("train").examples() > 190 && m.split("val").examples() > 0 && m.split("test").examples() > 0, m.splits().toString());
        ImageNormalization norm = ImageNormalization.of(m);
        for (int i = 0; i < m.split("val").shards(); i++) {
            DataSet ds = Shards.load(storage, dir.resolve("a").resolve(Manifest.shardName("val", i)).toString());
            for (int e = 0; e < ds.numExamples(); e++) {
                int label = ds.getLabels().getRow(e).argMax().getInt(0);
                float[] meanPerChannel = new float[3];
                for (int ch = 0; ch < 3; ch++) {
                    float pixel = ds.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.point(e), org.nd4j.linalg.indexing.NDArrayIndex.point(ch))
                            .meanNumber().floatValue() * norm.std()[ch] + norm.mean()[ch];
                    meanPerChannel[ch] = pixel;
                }
                int brightest = meanPerChannel[0] > meanPerChannel[1] ? (meanPerChannel[0] > meanPerChannel[2] ? 0 : 2)
                        : (meanPerChannel[1] > meanPerChannel[2] ? 1 : 2);
                assertEquals(2 - label, brightest, "a " + CLASSES[label] + " image's brightest channel, means " + Arrays.toString(meanPerChannel));
                assertTrue(meanPerChannel[brightest] > 0.6f && meanPerChannel[brightest] < 0.98f, Arrays.toString(meanPerChannel));
            }
        }
        Cli again = Cli.run(Cli.concat(args, "--out=" + dir.resolve("b")));
        assertEquals(0, again.exit(), again.err());
        assertEquals(m.fingerprint(), Shards.manifest(storage, dir.resolve("b").toString()).fingerprint(), "same folder and seed, same dataset");

        Cli train = Cli.run("train", "--model=small-cnn", "--dist=local", "--epochs=5", "--data=" + dir.resolve("a"), "--out=" + dir.resolve("run"));
        assertEquals(0, train.exit(), train.err());
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("run/metrics.json").toFile());
        assertTrue(metrics.get("final").get("accuracy").asDouble() > 0.9, "the CNN tells the colours apart: " + metrics.get("final"));
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void anImageThatDoesNotDecodeAndAnEmptyClassFolderAreNamedOrSkippedAndCounted(@TempDir Path dir) throws Exception {
        writeFolder(dir.resolve("images"), 12);
        Files.write(dir.resolve("images/red/broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        String[] args = {"prepare-data", "--dataset=images", "--source-path=" + dir.resolve("images"), "--image-size=16", "--batch-size=8",
                "--master=local[2]"};

        Cli broken = Cli.run(Cli.concat(args, "--out=" + dir.resolve("x")));
        assertEquals(1, broken.exit(), broken.err());
        assertTrue(broken.err().contains("red/broken.png: unreadable-image") && broken.err().contains("--skip-bad-records=true"), broken.err());

        Files.createDirectories(dir.resolve("images/violet"));
        Cli empty = Cli.run(Cli.concat(args, "--out=" + dir.resolve("x")));
        assertEquals(1, empty.exit(), empty.err());
        assertTrue(empty.err().contains("class folder(s) [violet] hold no .png, .jpg or .jpeg image"), empty.err());
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of("images"), left.map(p -> p.getFileName().toString()).toList(), "nothing published, no temporary left");
        }

        Cli skipped = Cli.run(Cli.concat(args, "--out=" + dir.resolve("ok"), "--skip-bad-records=true"));
        assertEquals(0, skipped.exit(), skipped.err());
        Manifest m = Shards.manifest(new LocalStorage(), dir.resolve("ok").toString());
        assertEquals(List.of(CLASSES), m.classNames(), "the empty class left out");
        assertEquals(36, m.splits().values().stream().mapToLong(Manifest.Split::examples).sum());
        assertEquals("1", m.attribute("bad_records.unreadable-image"));
        assertEquals("1", m.attribute("bad_records.empty-class"));
        assertFalse(Files.exists(dir.resolve("x")));
    }
}
