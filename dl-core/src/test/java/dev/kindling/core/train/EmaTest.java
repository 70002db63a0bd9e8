package dev.kindling.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.io.LocalStorage;
import dev.kindling.core.model.Head;
import dev.kindling.core.model.Mlp;
import dev.kindling.core.optim.Optimizer;
import dev.kindling.core.optim.OptimizerSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.schedule.FixedSchedule;

/** The EMA equals the analytic EMA of the parameter trajectory, and survives a checkpoint. */
@ExtendWith(DoublePrecision.class)
class EmaTest {
    private static final double DECAY = 0.9;

    static ComputationGraph net(int accumulate) {
        OptimizerSpec spec = new OptimizerSpec(Optimizer.ADAMW, new FixedSchedule(1e-2), 0.9, 0.9, 0.999, 1e-4, accumulate);
        ComputationGraph net = new ComputationGraph(spec.finish(Mlp.configure(new Mlp.Spec(4, 6, 3, Head.SOFTMAX, 0.0),
                spec.defaults(3, DataType.DOUBLE))));
        net.init();
        return net;
    }

    static Map<String, DataSet> shards(int n) {
        Nd4j.getRandom().setSeed(5);
        Map<String, DataSet> m = new HashMap<>();
        for (int i = 0; i < n; i++) {
            INDArray x = Nd4j.randn(DataType.DOUBLE, 8, 4);
            INDArray y = Nd4j.zeros(DataType.DOUBLE, 8, 3);
            for (int r = 0; r < 8; r++) {
                y.putScalar(r, Math.floorMod((int) Math.round(x.getDouble(r, 0) * 2), 3), 1.0);
            }
            m.put("s" + i, new DataSet(x, y));
        }
        return m;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void emaIsTheAnalyticEmaOfTheParameterTrajectory(int accumulate) throws Exception {
        ComputationGraph net = net(accumulate);
        Map<String, DataSet> data = shards(10);
        List<INDArray> trajectory = new ArrayList<>();
        trajectory.add(net.params().dup());
        Ema ema = Ema.of(net, DECAY);
        LocalTrainer trainer = new LocalTrainer(net, List.copyOf(data.keySet()), List.of(), data::get, null, 1,
                new Progress(1, 60), List.of()).ema(ema, accumulate);
        for (int epoch = 0; epoch < 2; epoch++) {
            trainer.fit(epoch, 0, done -> {
                if (net.getIterationCount() % accumulate == 0) {
                    trajectory.add(net.params().dup());
                }
            });
        }
        int n = trajectory.size() - 1;
        assertEquals(20 / accumulate, n, "optimizer steps");
        // ema_n = d^n p_0 + sum_k (1-d) d^(n-k) p_k
        INDArray analytic = trajectory.get(0).mul(Math.pow(DECAY, n));
        for (int k = 1; k <= n; k++) {
            analytic.addi(trajectory.get(k).mul((1 - DECAY) * Math.pow(DECAY, n - k)));
        }
        assertEquals(0.0, analytic.sub(ema.shadow()).amaxNumber().doubleValue(), 1e-6);
        assertTrue(trajectory.get(n).sub(ema.shadow()).amaxNumber().doubleValue() > 1e-4, "the EMA lags the raw weights");
        ComputationGraph emaNet = ema.model(net);
        assertEquals(ema.shadow(), emaNet.params());
        assertTrue(net.params().sub(emaNet.params()).amaxNumber().doubleValue() > 0, "raw weights untouched");
    }

    @Test
    void checkpointCarriesTheEmaAndResumesExactly(@TempDir Path dir) throws Exception {
        ComputationGraph net = net(1);
        Ema ema = Ema.of(net, DECAY);
        ema.update(net.params().add(0.5));
        EpochLoop.LoopState state = new EpochLoop.LoopState();
        state.epoch = 1;
        state.ema = ema.shadow();
        LocalStorage storage = new LocalStorage();
        Checkpoints checkpoints = new Checkpoints(storage, dir.toString(), 2);
        checkpoints.save(net, state);
        Checkpoints.Resumed back = checkpoints.latest().orElseThrow();
        assertNotNull(back.state().ema);
        assertEquals(ema.shadow(), back.state().ema);
    }

    @Test
    void updateAfterStepsMatchesRepeatedUpdatesOnStillParameters() {
        INDArray start = Nd4j.createFromArray(1.0, -2.0, 3.0);
        INDArray params = Nd4j.createFromArray(0.5, 0.25, -1.0);
        Ema stepwise = new Ema(DECAY, start.dup());
        for (int i = 0; i < 7; i++) {
            stepwise.update(params);
        }
        Ema once = new Ema(DECAY, start.dup());
        once.updateAfter(params, 7);
        assertEquals(0.0, stepwise.shadow().sub(once.shadow()).amaxNumber().doubleValue(), 1e-12);
    }
}
