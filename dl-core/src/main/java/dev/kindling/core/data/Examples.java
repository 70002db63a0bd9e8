package dev.kindling.core.data;

/**
 * In-memory examples of one split before sharding: flattened features and integer labels.
 *
 * @param features [n][d] values
 * @param labels   [n] class indices in [0, numClasses)
 */
public record Examples(float[][] features, int[] labels) {
    public Examples {
        if (features.length != labels.length) {
            throw new IllegalArgumentException("features=" + features.length + " rows but labels=" + labels.length);
        }
    }

    public int size() {
        return labels.length;
    }

    /** The first {@code n} examples (all when {@code n <= 0} or larger than the split). */
    public Examples limit(int n) {
        if (n <= 0 || n >= size()) {
            return this;
        }
        return new Examples(java.util.Arrays.copyOf(features, n), java.util.Arrays.copyOf(labels, n));
    }

    /** As minibatch rows: features {@code [b, d]}, labels {@code [b, 1]} (binary) or one-hot {@code [b, C]}. */
    public Rows rows(int numClasses, boolean binary) {
        Examples self = this;
        return new Rows() {
            @Override
            public int size() {
                return self.size();
            }

            @Override
            public org.nd4j.linalg.dataset.DataSet batch(int start, int end) {
                return DatasetWriter.toDataSet(self, start, end, numClasses, binary);
            }

            @Override
            public Rows limit(int n) {
                return self.limit(n).rows(numClasses, binary);
            }
        };
    }
}
