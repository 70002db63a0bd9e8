package dev.kindling.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kindling.core.io.LocalStorage;
import dev.kindling.core.model.Mlp;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import dev.kindling.core.train.LocalTrainer;
import dev.kindling.core.train.Progress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;

class ShardCacheTest {

    /** A loader that counts its loads per path. */
    static final class Counting implements Function<String, DataSet> {
        final Map<String, Integer> loads = new HashMap<>();
        final LocalStorage storage = new LocalStorage();

        @Override
        public DataSet apply(String path) {
            loads.merge(path, 1, Integer::sum);
            return Shards.load(storage, path);
        }
    }

    @Test
    void shardsWithinTheBudgetAreLoadedOnceAndTheRestAtEveryUse(@TempDir Path dir) throws Exception {
        LocalStorage storage = new LocalStorage();
        String data = dir.resolve("sum").toString();
        Manifest m = DatasetWriter.write(storage, data, SeedTasks.sum(42), 64, 42);
        List<String> train = Shards.paths(storage, data, m, "train", null);
        long shardBytes = ShardCache.bytes(Shards.load(storage, train.get(0))); // 64 x 20 features + 64 x 1 labels, floats
        assertEquals(64L * 21 * 4, shardBytes);

        Counting loader = new Counting();
        ShardCache cache = new ShardCache(loader, 3 * shardBytes + shardBytes / 2); // room for three full shards
        for (int epoch = 0; epoch < 3; epoch++) {
            for (String p : train.subList(0, 5)) {
                cache.apply(p);
            }
        }
        for (String p : train.subList(0, 3)) {
            assertEquals(1, loader.loads.get(p), p + ": kept");
        }
        for (String p : train.subList(3, 5)) {
            assertEquals(3, loader.loads.get(p), p + ": past the budget, loaded at every use");
        }
        assertEquals(3, cache.keptShards());
        assertEquals(3 * shardBytes, cache.keptBytes());
        assertSame(cache.apply(train.get(0)), cache.apply(train.get(0)));
        assertNotSame(cache.apply(train.get(4)), cache.apply(train.get(4)));
    }

    @Test
    void aZeroBudgetKeepsNothingAndANegativeOneIsRefused() {
        Map<String, Integer> loads = new HashMap<>();
        ShardCache none = new ShardCache(p -> {
            loads.merge(p, 1, Integer::sum);
            return new DataSet(org.nd4j.linalg.factory.Nd4j.zeros(2, 3), org.nd4j.linalg.factory.Nd4j.zeros(2, 1));
        }, 0);
        none.apply("a");
        none.apply("a");
        assertEquals(2, loads.get("a"));
        assertEquals(0, none.keptShards());
        assertThrows(IllegalArgumentException.class, () -> new ShardCache(p -> null, -1));
    }

    /** Training reuses the kept batches epoch after epoch: it must not change them, so both runs end on the same bits. */
    @Test
    void threeEpochsFromKeptShardsTrainTheSameBitsAsFromStorage(@TempDir Path dir) throws Exception {
        LocalStorage storage = new LocalStorage();
        String data = dir.resolve("sum").toString();
        Manifest m = DatasetWriter.write(storage, data, SeedTasks.sum(42), 64, 42);
        Counting fromStorage = new Counting();
        ShardCache cache = new ShardCache(new Counting(), 1L << 30);
        float[] plain = train(storage, data, m, fromStorage), kept = train(storage, data, m, cache);
        assertArrayEquals(plain, kept);
        assertEquals(3, fromStorage.loads.values().stream().mapToInt(Integer::intValue).max().orElseThrow(), "without the cache: a load per epoch");
        assertEquals(m.shardNames("train").size() + m.shardNames("val").size(), cache.keptShards());
    }

    static float[] train(LocalStorage storage, String data, Manifest m, Function<String, DataSet> loader) throws Exception {
        CosineAnnealing cosine = CosineAnnealing.tutorial();
        ComputationGraph net = new ComputationGraph(Mlp.configure(Mlp.Spec.tutorial(), NetDefaults.adamW(42, DataType.FLOAT, cosine, 1e-4)));
        net.init();
        new LocalTrainer(net, Shards.paths(storage, data, m, "train", null), Shards.paths(storage, data, m, "val", null), loader, m, 42,
                new Progress(20, 60), List.of()).train(3, 0, cosine::valueAt);
        return net.params().dup().data().asFloat();
    }
}
