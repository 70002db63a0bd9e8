package dev.kindling.spark.job;

import dev.kindling.core.metrics.TaskMetrics;
import dev.kindling.core.train.EpochLoop;
import dev.kindling.core.train.StepTelemetry;
import java.util.List;
import java.util.function.Supplier;

/**
 * Takes the replicas' step telemetry at every epoch's end, so the events of an epoch are written when it
 * ends and the executors' queues do not grow with the run. Where the master reports no training loss
 * (DL4J's shared master) the epoch's is the example-weighted mean of the minibatch losses its replicas
 * recorded.
 */
final class EpochTelemetry {

    /**
     * @param drain   takes every record queued where the replicas run (this JVM, and the executors)
     * @param records where this run's records go, in epoch order
     */
    static EpochLoop.Epochs draining(EpochLoop.Epochs inner, Supplier<List<String>> drain, StepTelemetry telemetry, List<String> records) {
        return new EpochLoop.Epochs() {
            @Override
            public EpochLoop.EpochFit fit(int epoch, int startStep, EpochLoop.StepHook afterStep) throws Exception {
                EpochLoop.EpochFit fit = inner.fit(epoch, startStep, afterStep);
                List<String> epochRecords = telemetry.ownRecords(drain.get());
                records.addAll(epochRecords);
                return Double.isNaN(fit.trainLoss()) && !epochRecords.isEmpty()
                        ? new EpochLoop.EpochFit(StepTelemetry.meanLoss(epochRecords), fit.steps(), fit.samples()) : fit;
            }

            @Override
            public TaskMetrics validate() throws Exception {
                return inner.validate();
            }
        };
    }

    private EpochTelemetry() {}
}
