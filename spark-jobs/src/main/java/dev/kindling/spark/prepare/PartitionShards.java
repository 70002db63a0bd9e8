package dev.kindling.spark.prepare;

import dev.kindling.core.data.ArrayRows;
import dev.kindling.core.data.ShardFile;
import dev.kindling.core.io.Storage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One partition's examples on their way to shards, on an executor: one minibatch being filled per split,
 * each full one written under the dataset's temporary directory ({@link SplitNumbering#partitionShard}),
 * {@value ParallelFiles#THREADS} at a time (HDFS's per-file round trips overlap). Memory stays a few
 * minibatches whatever the partition's size.
 */
final class PartitionShards {

    /** Writes one example's features at {@code offset} of {@code into}, or throws {@link BadRecord}. */
    @FunctionalInterface
    interface Features {
        void write(float[] into, int offset);
    }

    private final Storage storage;
    private final String dir;
    private final int partition;
    private final int[] featureShape;
    private final int width;
    private final int classes;
    private final int batchSize;
    private final Map<String, Buffer> buffers = new LinkedHashMap<>();

    PartitionShards(Storage storage, String dir, int partition, int[] featureShape, int classes, int batchSize) {
        this.storage = storage;
        this.dir = dir;
        this.partition = partition;
        this.featureShape = featureShape.clone();
        this.width = ArrayRows.width(featureShape);
        this.classes = classes;
        this.batchSize = batchSize;
        SeededSplit.SPLITS.forEach(s -> buffers.put(s, new Buffer(s)));
    }

    /** One split's minibatch being filled and the full ones waiting to be written. */
    private final class Buffer {
        final String split;
        float[] features = new float[batchSize * width];
        int[] labels = new int[batchSize];
        int n;
        final List<ArrayRows> full = new ArrayList<>();
        final List<ShardFile> written = new ArrayList<>();

        Buffer(String split) {
            this.split = split;
        }

        void flush() throws IOException {
            int first = written.size();
            written.addAll(ParallelFiles.run(full.size(), k -> ShardFile.write(storage,
                    SplitNumbering.partitionShard(storage, dir, split, partition, first + k), full.get(k).batch(0, batchSize))));
            full.clear();
        }
    }

    /** Adds an example to {@code split}; when {@code features} throws {@link BadRecord}, nothing is added. */
    void add(String split, Features features, int label) throws IOException {
        Buffer b = buffers.get(split);
        features.write(b.features, b.n * width);
        b.labels[b.n++] = label;
        if (b.n == batchSize) {
            b.full.add(rows(featureShape, classes, b.features, b.labels, b.n));
            b.features = new float[batchSize * width];
            b.labels = new int[batchSize];
            b.n = 0;
            if (b.full.size() == ParallelFiles.THREADS) {
                b.flush();
            }
        }
    }

    /** Writes what is waiting and records the shards and the examples left over in {@code result}. */
    void finish(PartResult result) throws IOException {
        for (Buffer b : buffers.values()) {
            b.flush();
            result.shards.put(b.split, new WrittenShards(b.written));
            result.restFeatures.put(b.split, Arrays.copyOf(b.features, b.n * width));
            result.restLabels.put(b.split, Arrays.copyOf(b.labels, b.n));
        }
    }

    /** {@code n} examples: features {@code featureShape} each, labels one-hot over {@code classes}. */
    static ArrayRows rows(int[] featureShape, int classes, float[] features, int[] labels, int n) {
        int width = ArrayRows.width(featureShape);
        float[] oneHot = new float[n * classes];
        for (int i = 0; i < n; i++) {
            oneHot[i * classes + labels[i]] = 1f;
        }
        return new ArrayRows(featureShape, Arrays.copyOf(features, n * width), new int[] {classes}, oneHot);
    }
}
