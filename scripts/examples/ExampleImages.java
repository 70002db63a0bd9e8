import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * An example image folder, {@code <out>/<class>/img-<i>.{png,jpg}}: three classes, {@code blue},
 * {@code green} and {@code red}, whose colour's channel is bright and the others dim, with noise; sizes
 * from 20 to 59 pixels a side; every third image a JPEG. A small CNN tells them apart in a few epochs.
 *
 * <p>{@code java scripts/examples/ExampleImages.java <out-dir> [per-class=80]} (Java's single-file
 * launcher; the JDK's ImageIO writes the files), then {@code scripts/local-cluster.sh put <out-dir> /} (copied as {@code /<its name>})
 * and {@code scripts/kindling prepare-data --dataset=images --source-path=hdfs://.../images ...}.
 */
public class ExampleImages {
    static final String[] CLASSES = {"blue", "green", "red"};

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: java ExampleImages.java <out-dir> [per-class=80]");
            System.exit(2);
        }
        Path root = Path.of(args[0]);
        int perClass = args.length > 1 ? Integer.parseInt(args[1]) : 80;
        Random r = new Random(7);
        for (int k = 0; k < CLASSES.length; k++) {
            Path dir = Files.createDirectories(root.resolve(CLASSES[k]));
            for (int i = 0; i < perClass; i++) {
                int w = 20 + r.nextInt(40);
                int h = 20 + r.nextInt(40);
                BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int[] c = {40 + r.nextInt(60), 40 + r.nextInt(60), 40 + r.nextInt(60)};
                        c[2 - k] = 160 + r.nextInt(90); // c is {red, green, blue}: class 0 (blue) brightens c[2]
                        img.setRGB(x, y, c[0] << 16 | c[1] << 8 | c[2]);
                    }
                }
                String format = i % 3 == 0 ? "jpg" : "png";
                File file = dir.resolve("img-" + i + "." + format).toFile();
                if (!ImageIO.write(img, format, file)) {
                    throw new IOException("no ImageIO writer for " + format);
                }
            }
        }
    }
}
