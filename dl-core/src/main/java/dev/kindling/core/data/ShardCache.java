package dev.kindling.core.data;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Decoded shards kept in memory, up to a budget of array bytes, so that a dataset that fits is read from storage and
 * decoded once per training JVM instead of at every step of every epoch (what PyTorch's in-memory
 * {@code TensorDataset} does). Shards past the budget are loaded at every use, as without the cache; the first
 * ones loaded stay (no eviction: each epoch walks every shard once, so any shard kept is used again).
 *
 * <p>Why: the seed MLP's step reads a 5 KB shard through Hadoop's local file system (open, its checksum file, a
 * stream) and decodes it: 17% of the training thread in JFR (2026-12-05), more than its loss and output layer.
 *
 * <p>The cached {@link DataSet}s are shared between uses: training must not change a loaded batch in place (it
 * does not: augmentation makes new arrays; {@code ShardCacheTest} trains three epochs with and without the cache to
 * the same bits). Safe for several threads (the replicas of one executor JVM share one): a shard is loaded outside
 * the lock, so replicas loading different shards do not wait for each other.
 */
public final class ShardCache implements Function<String, DataSet> {
    private final Function<String, DataSet> loader;
    private final long budgetBytes;
    private final Map<String, DataSet> kept = new HashMap<>();
    private long keptBytes;

    /** @param budgetBytes the most array bytes kept (0: nothing kept, every use loads) */
    public ShardCache(Function<String, DataSet> loader, long budgetBytes) {
        if (budgetBytes < 0) {
            throw new IllegalArgumentException("budgetBytes=" + budgetBytes + ": must be >= 0");
        }
        this.loader = loader;
        this.budgetBytes = budgetBytes;
    }

    @Override
    public DataSet apply(String path) {
        synchronized (this) {
            DataSet d = kept.get(path);
            if (d != null) {
                return d;
            }
        }
        DataSet loaded = loader.apply(path);
        long size = bytes(loaded);
        synchronized (this) {
            DataSet raced = kept.get(path);   // another thread loaded the same shard meanwhile: keep one
            if (raced != null) {
                return raced;
            }
            if (keptBytes + size <= budgetBytes) {
                kept.put(path, loaded);
                keptBytes += size;
            }
        }
        return loaded;
    }

    /** Array bytes held now. */
    public synchronized long keptBytes() {
        return keptBytes;
    }

    /** Shards held now. */
    public synchronized int keptShards() {
        return kept.size();
    }

    /** The bytes of a DataSet's features, labels and masks. */
    static long bytes(DataSet d) {
        return bytes(d.getFeatures()) + bytes(d.getLabels()) + bytes(d.getFeaturesMaskArray()) + bytes(d.getLabelsMaskArray());
    }

    private static long bytes(INDArray a) {
        return a == null ? 0 : a.length() * a.dataType().width();
    }
}
