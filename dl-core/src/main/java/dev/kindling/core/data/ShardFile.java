package dev.kindling.core.data;

import dev.kindling.core.io.Storage;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.nd4j.linalg.dataset.DataSet;

/**
 * One minibatch shard as written, for datasets whose shards are written apart (on Spark executors):
 * its examples, the CRC32 the manifest keeps (checked on every read) and the SHA-256 its dataset's
 * fingerprint is folded from, so the driver never reads the shards back.
 */
public record ShardFile(long examples, long crc32, byte[] sha256) {

    /** Writes {@code batch} as a shard at {@code path}. */
    public static ShardFile write(Storage storage, String path, DataSet batch) throws IOException {
        byte[] bytes = DatasetWriter.serialize(batch);
        try (OutputStream os = storage.create(path)) {
            os.write(bytes);
        }
        return new ShardFile(batch.numExamples(), ShardCheck.crc32(bytes), newDigest().digest(bytes));
    }

    /** The fingerprint of shards written apart: SHA-256 over their SHA-256s, in split then shard order. */
    public static String fingerprint(List<ShardFile> inOrder) {
        MessageDigest d = newDigest();
        for (ShardFile s : inOrder) {
            d.update(s.sha256());
        }
        return HexFormat.of().formatHex(d.digest());
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
