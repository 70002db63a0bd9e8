package dev.kindling.spark.prepare;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.io.InputException;
import dev.kindling.spark.hdfs.SparkHadoopConf;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An image folder, {@code <root>/<class>/<image>.{png,jpg,jpeg}} on any Hadoop URI, listed on the driver:
 * the classes are the subfolders in sorted order (as torchvision's {@code ImageFolder} numbers them), the
 * images every file with an image extension directly inside one. A class folder with no image is an
 * error naming it, or with {@code skipEmpty} a class left out and counted.
 *
 * @param root       the folder as given
 * @param classNames the classes kept, in id order
 * @param images     every image, in class then path order
 * @param bytes      their total size
 * @param emptyClasses class folders left out for holding no image
 */
record ImageFolders(String root, List<String> classNames, List<Image> images, long bytes, List<String> emptyClasses) {
    static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg");

    /** One image to read: its URI, its path under the root (what its seeded split is drawn from) and its class id. */
    static final class Image implements Serializable { // a plain class: Spark's Kryo serializer cannot build records
        private static final long serialVersionUID = 1L;
        final String uri;
        final String relative;
        final int label;

        Image(String uri, String relative, int label) {
            this.uri = uri;
            this.relative = relative;
            this.label = label;
        }
    }

    static ImageFolders list(String root, boolean skipEmpty) {
        Map<String, List<FileStatus>> perClass = new TreeMap<>();
        try {
            Path r = new Path(root);
            FileSystem fs = r.getFileSystem(SparkHadoopConf.forThisJvm());
            if (!fs.exists(r) || !fs.getFileStatus(r).isDirectory()) {
                throw new ConfigException("source-path=" + root + ": not a directory; pass an image folder, <root>/<class>/<image>.png|jpg");
            }
            for (FileStatus dir : fs.listStatus(r)) {
                if (dir.isDirectory() && !hidden(dir.getPath())) {
                    List<FileStatus> images = new ArrayList<>(Arrays.stream(fs.listStatus(dir.getPath()))
                            .filter(f -> f.isFile() && !hidden(f.getPath()) && isImage(f.getPath().getName())).toList());
                    images.sort(null);
                    perClass.put(dir.getPath().getName(), images);
                }
            }
        } catch (IOException e) {
            throw new ConfigException("source-path=" + root + ": unreadable (" + e.getMessage() + ")");
        }
        List<String> empty = perClass.entrySet().stream().filter(e -> e.getValue().isEmpty()).map(Map.Entry::getKey).toList();
        if (!empty.isEmpty() && !skipEmpty) {
            throw new InputException("source-path=" + root + ": class folder(s) " + empty + " hold no .png, .jpg or .jpeg image; "
                    + "add images, remove the folder(s), or pass --skip-bad-records=true to leave such classes out (counted in the manifest)");
        }
        empty.forEach(perClass::remove);
        if (perClass.size() < 2) {
            throw new InputException("source-path=" + root + ": " + perClass.size() + " class folder(s) with images; an image folder holds "
                    + "<root>/<class>/<image>.png|jpg with at least 2 classes");
        }
        List<String> classes = List.copyOf(perClass.keySet());
        List<Image> images = new ArrayList<>();
        long bytes = 0;
        for (int k = 0; k < classes.size(); k++) {
            for (FileStatus f : perClass.get(classes.get(k))) {
                images.add(new Image(f.getPath().toString(), classes.get(k) + "/" + f.getPath().getName(), k));
                bytes += f.getLen();
            }
        }
        return new ImageFolders(root, classes, List.copyOf(images), bytes, empty);
    }

    private static boolean isImage(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return EXTENSIONS.stream().anyMatch(lower::endsWith);
    }

    private static boolean hidden(Path p) {
        return p.getName().startsWith("_") || p.getName().startsWith(".");
    }
}
