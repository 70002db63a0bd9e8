package dev.kindling.spark.prepare;

import dev.kindling.core.io.Storage;
import dev.kindling.core.text.Tokenizer;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Row;

/**
 * One partition of a table, on an executor: each row read as an example ({@link TableColumns}) and
 * written with its split's minibatch ({@link PartitionShards}). A bad row fails the job, named, or is
 * skipped and counted.
 */
final class TablePart implements Function2<Integer, Iterator<Row>, Iterator<PartResult>> {
    private static final long serialVersionUID = 1L;

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

    @Override
    public Iterator<PartResult> call(Integer partition, Iterator<Row> in) throws IOException {
        PartitionShards out = new PartitionShards(storage, dir, partition, columns.featureShape(), columns.classNames().size(), batchSize);
        Map<String, Integer> classIndex = columns.classIndex();
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + partition);
        Tokenizer tok = columns.text() ? Tokenizer.parse(columns.tokenizer()) : null;
        PartResult result = new PartResult();
        result.partition = partition;
        long row = 0;
        while (in.hasNext()) {
            Row r = in.next();
            row++;
            double u = random.nextDouble(); // drawn for every row, bad or not: a row's split does not depend on others' badness
            try {
                out.add(columns.hasSplit() ? columns.split(r) : SeededSplit.of(u), (into, at) -> columns.features(r, into, at, tok), columns.label(r, classIndex));
                result.examples++;
            } catch (BadRecord bad) {
                long at = row;
                result.skipOrFail(bad, skipBadRecords, () -> "table file " + r.getString(TableColumns.FILE) + ", row " + at + " of Spark partition "
                        + partition);
            }
        }
        out.finish(result);
        return List.of(result).iterator();
    }
}
