package dev.kindling.spark.legacy;

import dev.kindling.core.vision.ImageAugmentation;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import org.deeplearning4j.core.loader.DataSetLoader;
import org.nd4j.common.loader.Source;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A DL4J {@link DataSetLoader} for {@code SparkComputationGraph.fitPaths(paths, loader)}: executors
 * read a shard as DL4J's own serialized-DataSet loader does, then augment it with the shard's step in
 * this epoch's order, so every executor draws what {@code --dist local} draws for that step.
 */
public final class AugmentingLoader implements DataSetLoader {
    private static final long serialVersionUID = 1L;
    private final ImageAugmentation augmentation;
    private final long seed;
    private final int epoch;
    private final HashMap<String, Integer> stepOf;

    /** @param order this epoch's shard paths in training order (a path's index is its step) */
    public AugmentingLoader(ImageAugmentation augmentation, long seed, int epoch, List<String> order) {
        this.augmentation = augmentation;
        this.seed = seed;
        this.epoch = epoch;
        this.stepOf = new HashMap<>();
        for (int i = 0; i < order.size(); i++) {
            stepOf.put(order.get(i), i);
        }
    }

    @Override
    public DataSet load(Source source) throws IOException {
        DataSet ds = new DataSet();
        try (InputStream in = source.getInputStream()) {
            ds.load(in);
        }
        Integer step = stepOf.get(source.getPath());
        return augmentation.apply(ds, seed, epoch, step != null ? step : source.getPath().hashCode());
    }
}
