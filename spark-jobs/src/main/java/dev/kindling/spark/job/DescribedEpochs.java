package dev.kindling.spark.job;

import dev.kindling.core.metrics.TaskMetrics;
import dev.kindling.core.train.EpochLoop;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Names every Spark job of an epoch by its epoch and phase ({@code epoch 3/10: train (...)},
 * {@code epoch 3/10: validate}), so that Spark's UI and the History Server list the jobs as the
 * training reads. Spark's job description is a thread-local property that jobs started later from
 * this thread, or from threads it starts (the watchdog's), inherit.
 */
final class DescribedEpochs {

    /** @param engine how the epoch trains, for example "Kindling's all-reduce master, 2 replicas" */
    static EpochLoop.Epochs describing(EpochLoop.Epochs inner, JavaSparkContext sc, int epochs, String engine) {
        return new EpochLoop.Epochs() {
            private int current;

            @Override
            public EpochLoop.EpochFit fit(int epoch, int startStep, EpochLoop.StepHook afterStep) throws Exception {
                current = epoch;
                sc.setJobDescription(name() + ": train (" + engine + ")");
                return inner.fit(epoch, startStep, afterStep);
            }

            @Override
            public TaskMetrics validate() throws Exception {
                sc.setJobDescription(name() + ": validate");
                return inner.validate();
            }

            private String name() {
                return "epoch " + (current + 1) + "/" + epochs;
            }
        };
    }

    private DescribedEpochs() {}
}
