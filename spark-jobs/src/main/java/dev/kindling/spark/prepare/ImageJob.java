package dev.kindling.spark.prepare;

import dev.kindling.core.data.Cifar10;
import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.ImageNormalization;
import dev.kindling.core.data.ImageShape;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.ShardFile;
import dev.kindling.core.data.Task;
import dev.kindling.spark.config.PrepareConfig;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.job.SparkJobs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code prepare-data --dataset=images} as a Spark job: an image folder ({@link ImageFolders}) listed on
 * the driver, its images spread over partitions of about {@code --split-mb} of files, decoded, resized to
 * {@code --image-size} and normalised with the ImageNet mean and std (as {@code cifar10} is) on the
 * executors ({@link ImagePart}); the driver renumbers the shards and publishes the dataset as the table
 * source does ({@link SplitAssembly}). Each image's split is drawn from the seed and its path: 90/5/5.
 */
public final class ImageJob {
    private static final Logger LOG = LoggerFactory.getLogger(ImageJob.class);

    public static Manifest run(PrepareConfig c, HadoopStorage storage, String out) throws IOException {
        ImageFolders folders = ImageFolders.list(storage.qualify(c.sourcePath()), c.skipBadRecords());
        ImageShape shape = new ImageShape(3, c.imageSize(), c.imageSize());
        int classes = folders.classNames().size();
        try (JavaSparkContext sc = SparkJobs.context(c.master(), "prepare-data")) {
            int partitions = (int) Math.max(sc.defaultParallelism(), Math.min(folders.images().size(),
                    (folders.bytes() + c.splitMb() * TextCorpusJob.MB - 1) / (c.splitMb() * TextCorpusJob.MB)));
            LOG.info("prepare-data: {}: {} images in {} classes, {} MB, in {} partitions, as {}", folders.root(), folders.images().size(), classes,
                    folders.bytes() >> 20, partitions, shape.text());
            long t0 = System.nanoTime();
            String tmp = DatasetWriter.temporarySibling(out);
            try {
                ImagePart part = new ImagePart(storage, tmp, shape, new ImageNormalization(Cifar10.MEAN, Cifar10.STD), classes, c.batchSize(),
                        c.skipBadRecords(), c.seed());
                sc.setJobDescription("prepare-data: decode, resize and write images");
                List<PartResult> parts = new ArrayList<>(ExecutorErrors.onExecutors(
                        () -> sc.parallelize(folders.images(), partitions).mapPartitionsWithIndex(part, false).collect()));
                parts.sort(Comparator.comparingInt(r -> r.partition));
                int[] featureShape = {shape.channels(), shape.height(), shape.width()};
                SplitAssembly a = SplitAssembly.of(storage, tmp, parts, featureShape, classes, c.batchSize(), c.seed(),
                        c.limit() > 0 ? c.limit() : Long.MAX_VALUE, "images " + folders.root(), "");
                Map<String, String> attributes = a.attributes(parts);
                attributes.putAll(ImageNormalization.attributes(shape, Cifar10.MEAN, Cifar10.STD));
                if (!folders.emptyClasses().isEmpty()) {
                    attributes.put(SplitAssembly.BAD_RECORDS + "." + BadRecord.Reason.EMPTY_CLASS.id, Integer.toString(folders.emptyClasses().size()));
                }
                if (!a.badRecords().isEmpty() || !folders.emptyClasses().isEmpty()) {
                    LOG.warn("prepare-data: {}: skipped {}, empty class folders {}", folders.root(), a.badRecords(), folders.emptyClasses());
                }
                Manifest m = new Manifest(Manifest.FORMAT_VERSION, "images", folders.root(), Task.CLASSIFICATION, featureShape, new int[] {classes},
                        classes, false, c.batchSize(), a.splits(), ShardFile.fingerprint(a.shards()), c.seed(), folders.classNames(), false, attributes);
                DatasetWriter.publish(storage, tmp, out, m);
                LOG.info("prepare-data: wrote {} to {} ({}; fingerprint {}) in {} s", folders.root(), out, m.splits().keySet(),
                        m.fingerprint().substring(0, 12), String.format("%.1f", (System.nanoTime() - t0) / 1e9));
                return m;
            } catch (IOException | RuntimeException e) {
                ExecutorErrors.deleteAfterTasksEnd(sc.sc(), storage, tmp);
                throw e;
            }
        }
    }

    private ImageJob() {}
}
