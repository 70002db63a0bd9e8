package dev.kindling.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.metrics.TaskMetrics;
import dev.kindling.core.model.Mlp;
import dev.kindling.core.optim.NetDefaults;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class EpochLoopTest {

    /** An epoch "trainer" that sets the parameters to the epoch number and reports scripted losses. */
    private static final class Scripted implements EpochLoop.Epochs {
        private final ComputationGraph net;
        private final double[] valLosses;
        private int epoch;
        long sleepMillis;
        final List<Integer> epochCounts = new ArrayList<>();

        Scripted(ComputationGraph net, double... valLosses) {
            this.net = net;
            this.valLosses = valLosses;
        }

        @Override
        public EpochLoop.EpochFit fit(int e, int startStep, EpochLoop.StepHook afterStep) throws InterruptedException {
            Thread.sleep(sleepMillis);
            epoch = e;
            epochCounts.add(net.getConfiguration().getEpochCount());
            net.setParams(Nd4j.valueArrayOf(net.params().shape(), e, net.params().dataType()));
            return new EpochLoop.EpochFit(1.0, 10, 640);
        }

        @Override
        public TaskMetrics validate() {
            TaskMetrics.Classification m = new TaskMetrics.Classification(2, List.of());
            double p = Math.exp(-valLosses[epoch]); // one example whose loss is exactly valLosses[epoch]
            m.metrics().add(Nd4j.create(new double[][] {{p}}), Nd4j.create(new double[][] {{1}}));
            return m;
        }
    }

    private static ComputationGraph net() {
        ComputationGraph g = new ComputationGraph(Mlp.configure(Mlp.Spec.tiny(), NetDefaults.gradientCheck(1)));
        g.init();
        return g;
    }

    @Test
    void stopsAfterPatienceEpochsAndKeepsTheBestParameters() throws Exception {
        ComputationGraph g = net();
        Scripted s = new Scripted(g, 1.0, 0.5, 0.6, 0.7, 0.4);
        EpochLoop.Outcome o = EpochLoop.run(g, s, 5, 2, e -> 1e-3);
        assertTrue(o.stoppedEarly());
        assertEquals(4, o.history().size());
        assertEquals(1, o.bestEpoch());
        assertEquals(0.5, o.bestValLoss(), 1e-12);
        INDArray params = g.params();
        assertEquals(1.0, params.minNumber().doubleValue(), 0.0); // epoch 1's parameters, not epoch 3's
        assertEquals(1.0, params.maxNumber().doubleValue(), 0.0);
        assertEquals(List.of(0, 1, 2, 3), s.epochCounts);
        assertEquals(40, o.steps());
    }

    @Test
    void aTimeBudgetStopsBeforeAnEpochThatWouldEndPastIt() throws Exception {
        ComputationGraph g = net();
        Scripted s = new Scripted(g, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1);
        s.sleepMillis = 300;
        long t0 = System.nanoTime();
        EpochLoop.Outcome o = EpochLoop.run(g, s, 10, 0, e -> 1e-3, new EpochLoop.LoopState(), 0, (n, st) -> { }, 1.0);
        double seconds = (System.nanoTime() - t0) / 1e9;
        // epochs of ~0.3 s in a 1 s budget: after the third, another would end at ~1.2 s
        assertTrue(o.history().size() >= 2 && o.history().size() <= 3, "epochs run: " + o.history().size());
        assertTrue(o.stoppedEarly());
        assertTrue(seconds < 1.0 + 0.3, "the budget held: " + seconds + " s");
        EpochLoop.Outcome unlimited = EpochLoop.run(g, new Scripted(g, 1, 2, 3), 3, 0, e -> 1e-3);
        assertEquals(3, unlimited.history().size());
    }

    @Test
    void patienceZeroRunsEveryEpoch() throws Exception {
        ComputationGraph g = net();
        EpochLoop.Outcome o = EpochLoop.run(g, new Scripted(g, 1, 2, 3, 4), 4, 0, e -> 1e-3);
        assertEquals(4, o.history().size());
        assertEquals(0, o.bestEpoch());
    }

    @Test
    void divergedValidationLossIsAClearError() {
        ComputationGraph g = net();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> EpochLoop.run(g, new Scripted(g, Double.NaN), 1, 0, x -> 1e-3));
        assertTrue(e.getMessage().contains("diverged"), e.getMessage());
    }
}
