package dev.kindling.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.model.Mlp;
import dev.kindling.core.optim.NetDefaults;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class StepTelemetryTest {

    @Test
    void everyFitStepIsRecordedWithItsPhases() {
        StepTelemetry telemetry = StepTelemetry.forRun();
        StepTelemetry other = StepTelemetry.forRun();
        ComputationGraph net = new ComputationGraph(Mlp.configure(Mlp.Spec.tiny(), NetDefaults.gradientCheck(3)));
        net.init();
        net.setListeners(telemetry);
        DataSet batch = new DataSet(Nd4j.rand(DataType.DOUBLE, 8, 5), Nd4j.eye(3).getRows(0, 1, 2, 0, 1, 2, 0, 1).castTo(DataType.DOUBLE));
        for (int i = 0; i < 5; i++) {
            net.fit(batch);
        }
        List<String> mine = telemetry.ownRecords(StepTelemetry.drain());
        assertEquals(5, mine.size());
        assertEquals(0, other.ownRecords(mine).size());
        assertTrue(mine.get(0).split(",", -1)[4].isEmpty(), "the first step has no previous end: " + mine.get(0));
        String[] last = mine.get(4).split(",");
        assertEquals("8", last[3]);
        double step = Double.parseDouble(last[4]);
        double parts = Double.parseDouble(last[5]) + Double.parseDouble(last[6]) + Double.parseDouble(last[7]);
        assertEquals(step, parts, 0.01, "the phases add up to the step");
        assertEquals(net.score(), Double.parseDouble(last[10]), 1e-9, "the record carries the step's minibatch loss");
        Map<String, Object> summary = StepTelemetry.summary(mine);
        assertEquals(5, summary.get("steps"));
        assertEquals(1L, summary.get("worker_threads"));
        assertTrue((Double) summary.get("median_backward_ms") > 0);
    }

    @Test
    void epochLossIsTheExampleWeightedMeanOfTheRecordedMinibatchLosses() {
        List<String> records = List.of("w/a,0,0,8,,,1.0,1.0,,,0.5", "w/b,0,0,24,3.0,1.0,1.0,1.0,,,1.5");
        assertEquals((8 * 0.5 + 24 * 1.5) / 32, StepTelemetry.meanLoss(records), 1e-12);
        assertTrue(Double.isNaN(StepTelemetry.meanLoss(List.of())));
    }

    @Test
    void lossScalingCountersAreSummarisedWhenRecordsCarryThem() {
        List<String> fp32 = List.of("w/t,0,0,8,,,1.0,1.0,,", "w/t,0,1,8,3.0,1.0,1.0,1.0,,");
        assertTrue(!StepTelemetry.summary(fp32).containsKey("skipped_steps"), "fp32 records have no loss scale");
        List<String> fp16 = List.of("w/a,0,0,8,,,1.0,1.0,32768.0,1", "w/a,0,1,8,3.0,1.0,1.0,1.0,32768.0,0",
                "w/b,0,0,8,,,1.0,1.0,16384.0,1");
        Map<String, Object> s = StepTelemetry.summary(fp16);
        assertEquals(2L, s.get("skipped_steps"));
        assertEquals(16384.0, s.get("min_loss_scale"));
        assertEquals(3, s.get("steps"));
    }

    @Test
    void quantilesOfKnownValues() {
        double[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(6.0, StepTelemetry.quantile(v, 0.5));
        assertEquals(10.0, StepTelemetry.quantile(v, 0.9));
    }

    @Test
    void millisecondsHaveThreeDecimalsAsStringFormatGave() {
        for (long nanos : new long[] {0, 499, 500, 1_000, 12_345_678, 3_000_000, 1_000_999_499L, 7_050_000}) {
            assertEquals(String.format(java.util.Locale.ROOT, "%.3f", nanos / 1e6), StepTelemetry.ms(nanos), "nanos=" + nanos);
        }
    }
}
