package dev.kindling.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.config.Choice;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.schedule.FixedSchedule;

/** K micro-batches with --accumulate=K end where one batch K times larger ends. */
@ExtendWith(DoublePrecision.class)
class AccumulateTest {
    private static final int K = 4;
    private static final int MICRO = 5;
    private static final int STEPS = 10;

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "adamw"})
    void kMicroBatchesEqualOneBatchKTimesLarger(String optimizer) {
        OptimizerSpec one = new OptimizerSpec(Choice.byName(Optimizer.class, "optimizer", optimizer), new FixedSchedule(0.05), 0.9, 0.9, 0.999, 0.05, 1);
        OptimizerSpec acc = new OptimizerSpec(Choice.byName(Optimizer.class, "optimizer", optimizer), new FixedSchedule(0.05), 0.9, 0.9, 0.999, 0.05, K);
        ComputationGraph big = OptimizersTest.build(one);
        ComputationGraph micro = OptimizersTest.build(acc);
        assertEquals(big.params(), micro.params(), "same initialisation");
        Nd4j.getRandom().setSeed(11);
        for (int step = 0; step < STEPS; step++) {
            INDArray x = Nd4j.randn(DataType.DOUBLE, K * MICRO, 3);
            INDArray y = x.sum(true, 1).mul(2.0).reshape(K * MICRO, 1);
            big.fit(new DataSet(x, y));
            for (int i = 0; i < K; i++) {
                micro.fit(new DataSet(x.get(NDArrayIndex.interval(i * MICRO, (i + 1) * MICRO), NDArrayIndex.all()).dup(),
                        y.get(NDArrayIndex.interval(i * MICRO, (i + 1) * MICRO), NDArrayIndex.all()).dup()));
            }
        }
        double diff = big.params().sub(micro.params()).amaxNumber().doubleValue();
        assertEquals(0.0, diff, 1e-6, optimizer + ": max |param difference| after " + STEPS + " optimizer steps");
        assertEquals(STEPS * K, micro.getIterationCount());
    }

    @Test
    void parametersStayPutUntilTheKthMicroBatch() {
        ComputationGraph micro = OptimizersTest.build(new OptimizerSpec(Optimizer.ADAMW, new FixedSchedule(0.05), 0.9, 0.9, 0.999, 0.05, K));
        DataSet data = TinyNet.data();
        INDArray start = micro.params().dup();
        for (int i = 1; i < K; i++) {
            micro.fit(data);
            assertEquals(start, micro.params(), "after micro-batch " + i + ": no update, no decay");
        }
        micro.fit(data);
        assertEquals(true, start.sub(micro.params()).amaxNumber().doubleValue() > 1e-4, "the K-th micro-batch steps");
    }
}
