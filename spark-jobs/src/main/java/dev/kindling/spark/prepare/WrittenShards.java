package dev.kindling.spark.prepare;

import dev.kindling.core.data.ShardFile;
import java.io.Serializable;
import java.util.List;

/**
 * The shards one partition wrote to one split, as a task result: a plain class of arrays, since Spark's
 * Kryo serializer cannot build records (so not a list of {@link ShardFile}).
 */
final class WrittenShards implements Serializable {
    private static final long serialVersionUID = 1L;
    private final long[] examples;
    private final long[] crc32;
    private final byte[][] sha256;

    WrittenShards(List<ShardFile> shards) {
        examples = shards.stream().mapToLong(ShardFile::examples).toArray();
        crc32 = shards.stream().mapToLong(ShardFile::crc32).toArray();
        sha256 = shards.stream().map(ShardFile::sha256).toArray(byte[][]::new);
    }

    List<ShardFile> shards() {
        ShardFile[] out = new ShardFile[examples.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = new ShardFile(examples[i], crc32[i], sha256[i]);
        }
        return List.of(out);
    }

    int size() {
        return examples.length;
    }
}
