package dev.kindling.spark.prepare;

import dev.kindling.core.data.ArrayRows;
import dev.kindling.core.data.ShardFile;
import dev.kindling.core.io.InputException;
import dev.kindling.core.io.Storage;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Row;

/**
 * One partition of a table, on an executor: each row read as an example ({@link TableColumns}) into
 * its split's buffer, each full buffer written as a shard under the dataset's temporary directory.
 * Memory stays one minibatch per split (plus {@value ParallelFiles#THREADS} waiting to be written),
 * whatever the partition's size. It returns the shards' checksums, the rows left over per split
 * (fewer than a batch) and the bad rows skipped, per reason.
 */
final class TablePart implements Function2<Integer, Iterator<Row>, Iterator<TablePart.Result>> {
    private static final long serialVersionUID = 1L;
    static final List<String> SPLITS = List.of("train", "val", "test");
    /** A seeded split: each row is train with this probability, else val or test half and half. */
    static final double TRAIN_FRACTION = 0.9;

    private final Storage storage;
    private final String dir;
    private final TableColumns columns;
    private final int batchSize;
    private final boolean skipBadRecords;
    private final long seed;

    /** @param dir the dataset's temporary directory */
    TablePart(Storage storage, String dir, TableColumns columns, int batchSize, boolean skipBadRecords, long seed) {
        this.storage = storage;
        this.dir = dir;
        this.columns = columns;
        this.batchSize = batchSize;
        this.skipBadRecords = skipBadRecords;
        this.seed = seed;
    }

    /** A plain class, not a record: Spark's Kryo serializer cannot build records in task results. */
    static final class Result implements Serializable {
        private static final long serialVersionUID = 1L;
        int partition;
        long rows;
        Map<String, WrittenShards> shards = new LinkedHashMap<>();
        Map<String, float[]> restFeatures = new LinkedHashMap<>(); // rows left over, back to back
        Map<String, int[]> restLabels = new LinkedHashMap<>();
        Map<String, Long> bad = new LinkedHashMap<>(); // reason id -> rows skipped
    }

    /** One split's rows as they arrive: the minibatch being filled and the full ones waiting to be written. */
    private final class SplitBuffer {
        final String split;
        final int partition;
        float[] features = new float[batchSize * columns.width()];
        int[] labels = new int[batchSize];
        int n;
        final List<ArrayRows> full = new ArrayList<>();
        final List<ShardFile> written = new ArrayList<>();

        SplitBuffer(String split, int partition) {
            this.split = split;
            this.partition = partition;
        }

        void add(Row r, int label) throws IOException {
            columns.features(r, features, n * columns.width()); // throws BadRecord before the row counts
            labels[n++] = label;
            if (n == batchSize) {
                full.add(rows(features, labels, n));
                features = new float[batchSize * columns.width()];
                labels = new int[batchSize];
                n = 0;
                if (full.size() == ParallelFiles.THREADS) {
                    flush();
                }
            }
        }

        /** Writes the full minibatches waiting, a few at a time (HDFS's per-file round trips overlap). */
        void flush() throws IOException {
            int first = written.size();
            written.addAll(ParallelFiles.run(full.size(), k -> ShardFile.write(storage,
                    SplitNumbering.partitionShard(storage, dir, split, partition, first + k), full.get(k).batch(0, batchSize))));
            full.clear();
        }
    }

    int width() {
        return columns.width();
    }

    /** {@code n} rows as examples: features {@code [width]}, labels one-hot over the classes. */
    ArrayRows rows(float[] features, int[] labels, int n) {
        int classes = columns.classNames().size();
        float[] oneHot = new float[n * classes];
        for (int i = 0; i < n; i++) {
            oneHot[i * classes + labels[i]] = 1f;
        }
        return new ArrayRows(new int[] {columns.width()}, Arrays.copyOf(features, n * columns.width()), new int[] {classes}, oneHot);
    }

    @Override
    public Iterator<Result> call(Integer partition, Iterator<Row> in) throws IOException {
        Map<String, SplitBuffer> buffers = new LinkedHashMap<>();
        SPLITS.forEach(s -> buffers.put(s, new SplitBuffer(s, partition)));
        Map<String, Integer> classIndex = columns.classIndex();
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + partition);
        Result result = new Result();
        result.partition = partition;
        long row = 0;
        while (in.hasNext()) {
            Row r = in.next();
            row++;
            double u = random.nextDouble(); // drawn for every row, bad or not: a row's split does not depend on others' badness
            try {
                String split = columns.hasSplit() ? columns.split(r) : u < TRAIN_FRACTION ? "train" : u < (1 + TRAIN_FRACTION) / 2 ? "val" : "test";
                buffers.get(split).add(r, columns.label(r, classIndex));
                result.rows++;
            } catch (BadRecord bad) {
                if (!skipBadRecords) {
                    throw new InputException("table file " + r.getString(TableColumns.FILE) + ", row " + row + " of Spark partition " + partition
                            + ": " + bad.reason.id + ": " + bad.getMessage() + "; fix the row, or pass --skip-bad-records=true to skip such rows "
                            + "(counted per reason in the manifest)");
                }
                result.bad.merge(bad.reason.id, 1L, Long::sum);
            }
        }
        for (SplitBuffer b : buffers.values()) {
            b.flush();
            result.shards.put(b.split, new WrittenShards(b.written));
            result.restFeatures.put(b.split, Arrays.copyOf(b.features, b.n * columns.width()));
            result.restLabels.put(b.split, Arrays.copyOf(b.labels, b.n));
        }
        return List.of(result).iterator();
    }
}
