package dev.kindling.core.data;

import org.nd4j.linalg.dataset.DataSet;

/** One split's examples before sharding, cut into minibatches by {@link DatasetWriter}. */
public interface Rows {
    int size();

    /** Examples [start, end) as one minibatch, masks included where the task has them. */
    DataSet batch(int start, int end);

    /** The first {@code n} examples (all when {@code n <= 0} or larger than the split). */
    Rows limit(int n);
}
