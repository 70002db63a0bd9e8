package dev.kindling.core.metrics;

import dev.kindling.core.data.Manifest;
import dev.kindling.core.sequence.GreedyDecoder;
import dev.kindling.core.sequence.TokenLayout;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A task's evaluation, mergeable across executors: what validation (early stopping keys on
 * {@link #loss()}), {@code evaluate} and the {@code final} block of metrics.json report. One
 * implementation per {@link dev.kindling.core.data.Task}, chosen from the dataset's manifest by
 * {@link #of(Manifest)}; the per-batch work is the same in one JVM and on an executor.
 */
public interface TaskMetrics extends Serializable {

    /** Runs the network on one minibatch (its masks included) and adds the result. */
    void add(ComputationGraph net, DataSet batch);

    /** Adds {@code other}'s counts into this one and returns this. */
    TaskMetrics merge(TaskMetrics other);

    /** The validation loss early stopping and divergence checks key on. */
    double loss();

    /** Accuracy where the task has one; NaN otherwise. */
    double accuracy();

    /** The {@code final} block of metrics.json: always {@code loss}, then the task's keys (DESIGN.md). */
    Map<String, Object> toJson();

    /** Empty metrics for the dataset's task. */
    static TaskMetrics of(Manifest m) {
        return switch (m.task()) {
            case CLASSIFICATION -> new Classification(m.numClasses(), m.classNames());
            case REGRESSION -> new Regression(m.labelWidth(), "last-value".equals(m.attributes().get("baseline")));
            case LANGUAGE_MODEL -> new LanguageModel(m.attributes().get("unigram_val_loss"));
            case SEQ2SEQ -> new Seq2Seq(TokenLayout.of(m));
        };
    }

    /** The network's output for a batch's features, with the batch's masks. */
    static INDArray output(ComputationGraph net, DataSet batch) {
        INDArray f = batch.getFeatures().castTo(net.params().dataType());
        INDArray fm = batch.getFeaturesMaskArray();
        INDArray lm = batch.getLabelsMaskArray();
        return net.output(false, new INDArray[] {f}, fm == null ? null : new INDArray[] {fm}, lm == null ? null : new INDArray[] {lm})[0];
    }

    /** Loss, accuracy, per-class P/R/F1, confusion ({@link ClassificationMetrics}). */
    final class Classification implements TaskMetrics {
        private static final long serialVersionUID = 1L;
        private final ClassificationMetrics metrics;
        private final String[] classNames; // an array: Spark returns task results with Kryo, which cannot rebuild List.of()

        public Classification(int classes, List<String> classNames) {
            this.metrics = new ClassificationMetrics(classes);
            this.classNames = classNames.toArray(new String[0]);
        }

        @Override
        public void add(ComputationGraph net, DataSet batch) {
            metrics.add(output(net, batch), batch.getLabels());
        }

        @Override
        public TaskMetrics merge(TaskMetrics other) {
            metrics.merge(((Classification) other).metrics);
            return this;
        }

        @Override
        public double loss() {
            return metrics.loss();
        }

        @Override
        public double accuracy() {
            return metrics.accuracy();
        }

        public ClassificationMetrics metrics() {
            return metrics;
        }

        @Override
        public Map<String, Object> toJson() {
            return metrics.toJson(List.of(classNames));
        }
    }

    /**
     * MSE (the loss), MAE, RMSE, R²; with the {@code baseline=last-value} manifest attribute also the
     * naive forecast's errors: the last step of the first feature channel ({@code features[:, 0, T-1]}
     * of {@code [b, C, T]}) repeated over the horizon.
     */
    final class Regression implements TaskMetrics {
        private static final long serialVersionUID = 1L;
        private final RegressionMetrics metrics;
        private final boolean lastValueBaseline;

        public Regression(int columns, boolean lastValueBaseline) {
            this.metrics = new RegressionMetrics(columns);
            this.lastValueBaseline = lastValueBaseline;
        }

        @Override
        public void add(ComputationGraph net, DataSet batch) {
            INDArray y = batch.getLabels();
            INDArray p = output(net, batch).reshape(y.size(0), metrics.columns());
            INDArray target = y.reshape(y.size(0), metrics.columns());
            metrics.add(p, target, lastValueBaseline ? lastValue(batch.getFeatures(), metrics.columns()) : null);
        }

        /** {@code features[:, 0, T-1]} repeated to {@code [b, columns]}. */
        static INDArray lastValue(INDArray features, int columns) {
            INDArray last = features.rank() == 3
                    ? features.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.point(features.size(2) - 1))
                    : features.get(NDArrayIndex.all(), NDArrayIndex.point(features.size(1) - 1));
            return last.reshape(features.size(0), 1).repeat(1, columns);
        }

        @Override
        public TaskMetrics merge(TaskMetrics other) {
            metrics.merge(((Regression) other).metrics);
            return this;
        }

        @Override
        public double loss() {
            return metrics.mse();
        }

        @Override
        public double accuracy() {
            return Double.NaN;
        }

        @Override
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("loss", MetricsJson.orNull(loss()));
            m.putAll(metrics.toJson());
            return m;
        }
    }

    /** Token cross-entropy (the loss, also {@code val_loss}) and perplexity over unmasked positions. */
    final class LanguageModel implements TaskMetrics {
        private static final long serialVersionUID = 1L;
        private final LanguageModelMetrics metrics = new LanguageModelMetrics();
        /** The dataset's unigram baseline in nats per token (manifest attribute {@code unigram_val_loss}), or null. */
        private final String unigramLoss;

        public LanguageModel() {
            this(null);
        }

        public LanguageModel(String unigramLoss) {
            this.unigramLoss = unigramLoss;
        }

        @Override
        public void add(ComputationGraph net, DataSet batch) {
            metrics.add(output(net, batch), batch.getLabels(), batch.getLabelsMaskArray());
        }

        @Override
        public TaskMetrics merge(TaskMetrics other) {
            metrics.merge(((LanguageModel) other).metrics);
            return this;
        }

        @Override
        public double loss() {
            return metrics.loss();
        }

        @Override
        public double accuracy() {
            return Double.NaN;
        }

        @Override
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("loss", MetricsJson.orNull(loss()));
            m.putAll(metrics.toJson());
            if (unigramLoss != null) {
                m.put("baseline_unigram_loss", Double.valueOf(unigramLoss));
            }
            return m;
        }
    }

    /**
     * Seq2seq: the teacher-forced token cross-entropy (the loss) and, from greedy decoding
     * ({@link GreedyDecoder}), exact match and token accuracy of the decoded sequences against the
     * targets ({@link ExactMatchMetrics}). {@link #accuracy()} is the exact match.
     */
    final class Seq2Seq implements TaskMetrics {
        private static final long serialVersionUID = 1L;
        private final LanguageModelMetrics tokens = new LanguageModelMetrics();
        private final ExactMatchMetrics exact = new ExactMatchMetrics();
        private final TokenLayout layout;

        public Seq2Seq(TokenLayout layout) {
            this.layout = layout;
        }

        @Override
        public void add(ComputationGraph net, DataSet batch) {
            tokens.add(output(net, batch), batch.getLabels(), batch.getLabelsMaskArray());
            exact.add(GreedyDecoder.decode(net, batch.getFeatures(), layout),
                    GreedyDecoder.targets(batch.getLabels(), batch.getLabelsMaskArray(), layout));
        }

        @Override
        public TaskMetrics merge(TaskMetrics other) {
            Seq2Seq o = (Seq2Seq) other;
            tokens.merge(o.tokens);
            exact.merge(o.exact);
            return this;
        }

        @Override
        public double loss() {
            return tokens.loss();
        }

        @Override
        public double accuracy() {
            return exact.exactMatch();
        }

        public ExactMatchMetrics exactMatch() {
            return exact;
        }

        @Override
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("loss", MetricsJson.orNull(loss()));
            m.putAll(exact.toJson());
            return m;
        }
    }
}
