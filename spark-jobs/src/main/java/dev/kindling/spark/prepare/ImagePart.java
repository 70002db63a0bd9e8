package dev.kindling.spark.prepare;

import dev.kindling.core.data.ImageNormalization;
import dev.kindling.core.data.ImageShape;
import dev.kindling.core.io.Storage;
import dev.kindling.spark.prepare.BadRecord.Reason;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.function.Function2;

/**
 * One partition of an image folder, on an executor: each image read, decoded (the JDK's ImageIO: PNG,
 * JPEG), resized to {@code size x size} (bilinear, stretched as torchvision's {@code Resize((s, s))}),
 * as RGB in channel-first order normalised per channel, then written with its split's minibatch
 * ({@link PartitionShards}). An image that does not decode fails the job, named, or is skipped and counted.
 */
final class ImagePart implements Function2<Integer, Iterator<ImageFolders.Image>, Iterator<PartResult>> {
    private static final long serialVersionUID = 1L;

    private final Storage storage;
    private final String dir;
    private final ImageShape shape;
    private final ImageNormalization norm;
    private final int classes;
    private final int batchSize;
    private final boolean skipBadRecords;
    private final long seed;

    /** @param dir the dataset's temporary directory */
    ImagePart(Storage storage, String dir, ImageShape shape, ImageNormalization norm, int classes, int batchSize, boolean skipBadRecords,
              long seed) {
        this.storage = storage;
        this.dir = dir;
        this.shape = shape;
        this.norm = norm;
        this.classes = classes;
        this.batchSize = batchSize;
        this.skipBadRecords = skipBadRecords;
        this.seed = seed;
    }

    @Override
    public Iterator<PartResult> call(Integer partition, Iterator<ImageFolders.Image> in) throws IOException {
        PartitionShards out = new PartitionShards(storage, dir, partition, new int[] {shape.channels(), shape.height(), shape.width()}, classes,
                batchSize);
        PartResult result = new PartResult();
        result.partition = partition;
        while (in.hasNext()) {
            ImageFolders.Image image = in.next();
            // drawn from the image's own path: its split does not depend on how the folder was partitioned
            String split = SeededSplit.of(seed, image.relative);
            try {
                BufferedImage decoded = decode(storage.readAll(image.uri));
                out.add(split, (into, at) -> pixels(decoded, into, at), image.label);
                result.examples++;
            } catch (BadRecord bad) {
                result.skipOrFail(bad, skipBadRecords, () -> "image " + image.uri);
            }
        }
        out.finish(result);
        return List.of(result).iterator();
    }

    private static BufferedImage decode(byte[] bytes) {
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            throw new BadRecord(Reason.UNREADABLE_IMAGE, "does not decode (" + e.getMessage() + ")");
        }
        if (image == null) {
            throw new BadRecord(Reason.UNREADABLE_IMAGE, "not a PNG or JPEG image the JDK can decode (" + bytes.length + " bytes)");
        }
        return image;
    }

    /** {@code image} resized to the shape, RGB, channel-first and normalised, written at {@code at}. */
    private void pixels(BufferedImage image, float[] into, int at) {
        BufferedImage resized = new BufferedImage(shape.width(), shape.height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = resized.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, shape.width(), shape.height(), null);
        g.dispose();
        int plane = shape.height() * shape.width();
        for (int y = 0; y < shape.height(); y++) {
            for (int x = 0; x < shape.width(); x++) {
                int rgb = resized.getRGB(x, y);
                int p = y * shape.width() + x;
                into[at + p] = norm.normalize(((rgb >> 16) & 0xff) / 255f, 0);
                into[at + plane + p] = norm.normalize(((rgb >> 8) & 0xff) / 255f, 1);
                into[at + 2 * plane + p] = norm.normalize((rgb & 0xff) / 255f, 2);
            }
        }
    }
}
