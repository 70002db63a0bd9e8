package dev.kindling.spark.prepare;

import dev.kindling.core.data.ArrayRows;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.ShardFile;
import dev.kindling.core.io.Storage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One split's shards on the driver: the executors wrote theirs under names of their own
 * ({@link #partitionShard}); here they are renamed into the split's numbering ({@code part-00000.bin}, ...),
 * in partition order, and then the rows the partitions left over are appended as more shards.
 */
final class SplitNumbering {

    /** Where partition {@code p} writes its {@code k}-th shard of {@code split}. */
    static String partitionShard(Storage storage, String dir, String split, int p, int k) {
        return storage.child(dir, split + "/_p" + String.format("%05d-%05d", p, k) + ".bin");
    }

    /**
     * Renames the partitions' shards of {@code split} into its numbering while the examples kept stay
     * within {@code limit}; the shards past it are deleted.
     *
     * @param perPartition each partition's shards, in partition order
     * @return the shards kept, in their new order
     */
    static List<ShardFile> renumber(Storage storage, String dir, String split, List<WrittenShards> perPartition, long limit)
            throws IOException {
        List<ShardFile> kept = new ArrayList<>();
        List<String> written = new ArrayList<>(); // every partition's shard; the first kept.size() stay
        long examples = 0;
        for (int p = 0; p < perPartition.size(); p++) {
            List<ShardFile> shards = perPartition.get(p).shards();
            for (int k = 0; k < shards.size(); k++) {
                written.add(partitionShard(storage, dir, split, p, k));
                if (written.size() == kept.size() + 1 && examples + shards.get(k).examples() <= limit) {
                    kept.add(shards.get(k));
                    examples += shards.get(k).examples();
                }
            }
        }
        int n = kept.size();
        ParallelFiles.run(written.size(), i -> {
            if (i < n) {
                storage.rename(written.get(i), storage.child(dir, Manifest.shardName(split, i)));
            } else {
                storage.delete(written.get(i));
            }
            return null;
        });
        return kept;
    }

    /** Writes {@code rows} as shards {@code first}, {@code first + 1}, ... of {@code split}, {@code batchSize} rows each. */
    static List<ShardFile> append(Storage storage, String dir, String split, int first, ArrayRows rows, int batchSize) throws IOException {
        int shards = (rows.size() + batchSize - 1) / batchSize;
        return ParallelFiles.run(shards, k -> ShardFile.write(storage, storage.child(dir, Manifest.shardName(split, first + k)),
                rows.batch(k * batchSize, Math.min(rows.size(), (k + 1) * batchSize))));
    }

    /** The manifest's entry for a split of these shards. */
    static Manifest.Split split(List<ShardFile> shards) {
        return new Manifest.Split(shards.stream().mapToLong(ShardFile::examples).sum(), shards.size(),
                shards.stream().map(ShardFile::crc32).toList());
    }

    private SplitNumbering() {}
}
