package dev.kindling.core.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.config.Choice;
import dev.kindling.core.model.Head;
import dev.kindling.core.model.Mlp;
import dev.kindling.core.optim.Optimizer;
import dev.kindling.core.optim.OptimizerSpec;
import dev.kindling.core.train.EpochLoop;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.schedule.FixedSchedule;

class DoctorTest {
    static final int CLASSES = 3;

    static ComputationGraph mlp(String optimizer, double lr) {
        OptimizerSpec spec = new OptimizerSpec(Choice.byName(Optimizer.class, "optimizer", optimizer), new FixedSchedule(lr), 0.9, 0.9, 0.999, 0, 1);
        ComputationGraph net = new ComputationGraph(spec.finish(Mlp.configure(new Mlp.Spec(6, 32, CLASSES, Head.SOFTMAX, 0.0),
                spec.defaults(1, DataType.FLOAT))));
        net.init();
        return net;
    }

    static DataSet batch(int n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(DataType.FLOAT, n, 6);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, CLASSES);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, Math.floorMod(i * 7 + 3, CLASSES), 1.0);
        }
        return new DataSet(x, y);
    }

    @Test
    void healthyModelPassesTheSeedsChecksAndOverfitsOneBatch() {
        Doctor.Diagnosis d = Doctor.diagnose(mlp("adamw", 1e-3), mlp("adam", 0.01), batch(32, 3), CLASSES, 100);
        assertEquals(List.of(32L, 3L), java.util.Arrays.stream(d.outputShape()).boxed().toList());
        assertEquals(Math.log(3), d.expectedLoss(), 1e-12);
        assertTrue(d.findings().stream().allMatch(Doctor.Finding::ok), d.findings().toString());
        assertTrue(d.overfitLosses().get(99) < 0.05, "overfit loss " + d.overfitLosses().get(99));
        assertTrue(d.gradients().containsKey("trunk_fc1W") && d.gradients().get("trunk_fc1W") > 0, d.gradients().toString());
    }

    @Test
    void nanIsTracedToTheFirstLayerProducingIt() {
        ComputationGraph net = mlp("adamw", 1e-3);
        DataSet b = batch(8, 4);
        assertNull(Doctor.firstNonFinite(net, b));
        net.getLayer(Mlp.OUTPUT).getParam("W").putScalar(0, 0, Float.NaN);
        String where = Doctor.firstNonFinite(net, b);
        assertTrue(where.contains("'output'"), where);
        Doctor.Diagnosis d = Doctor.diagnose(net, null, b, CLASSES, 0);
        assertTrue(d.findings().stream().anyMatch(f -> f.verdict().equals("non-finite") && f.fix().equals(Doctor.EXPLODING)), d.findings().toString());
    }

    @Test
    void modelThatCannotLearnIsToldSo() {
        // lr so small that 100 Adam steps change nothing: the overfit check fails
        Doctor.Diagnosis d = Doctor.diagnose(mlp("adamw", 1e-3), mlp("adam", 1e-9), batch(32, 3), CLASSES, 100);
        assertTrue(d.findings().stream().anyMatch(f -> f.verdict().equals("cannot-overfit")), d.findings().toString());
    }

    static List<EpochLoop.EpochRecord> history(double[] train, double[] val) {
        List<EpochLoop.EpochRecord> h = new ArrayList<>();
        for (int i = 0; i < val.length; i++) {
            h.add(new EpochLoop.EpochRecord(i, train[i], val[i], 0.5, 1e-3, 1));
        }
        return h;
    }

    /** Real runs of a tiny model, each made to show one verdict of the seed's table. */
    static List<EpochLoop.EpochRecord> run(String optimizer, double lr, int epochs, int trainSize, int hidden) {
        OptimizerSpec spec = new OptimizerSpec(Choice.byName(Optimizer.class, "optimizer", optimizer), new FixedSchedule(lr), 0.9, 0.9, 0.999, 0, 1);
        ComputationGraph net = new ComputationGraph(spec.finish(Mlp.configure(new Mlp.Spec(6, hidden, CLASSES, Head.SOFTMAX, 0.0),
                spec.defaults(1, DataType.FLOAT))));
        net.init();
        DataSet train = batch(trainSize, 10);
        // validation labels follow a rule the training labels do not share: memorising train hurts val
        DataSet val = batch(64, 11);
        List<EpochLoop.EpochRecord> h = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            for (int s = 0; s < 4; s++) {
                net.fit(train);
            }
            h.add(new EpochLoop.EpochRecord(e, net.score(train, false), net.score(val, false), Double.NaN, lr, 0));
        }
        return h;
    }

    @ParameterizedTest
    @ValueSource(strings = {"exploding", "flat", "overfitting", "underfitting"})
    void troubleshootingTableNamesTheFaultOfARunMadeToShowIt(String fault) {
        List<EpochLoop.EpochRecord> h = switch (fault) {
            case "exploding" -> run("sgd", 50.0, 8, 64, 32);       // an absurd SGD rate
            case "flat" -> run("sgd", 1e-9, 8, 64, 32);            // a rate too small to move anything
            case "overfitting" -> run("adam", 0.01, 30, 16, 128);  // a wide net memorising 16 examples
            default -> run("sgd", 1e-3, 8, 64, 2);                 // 2 hidden units, a tiny rate
        };
        List<Doctor.Finding> f = Doctor.readHistory(h, CLASSES);
        assertTrue(f.stream().anyMatch(x -> x.verdict().equals(fault)), fault + ": " + f + " from " + h);
    }

    @Test
    void oscillatingValidationLossIsNamed() {
        double[] val = {1.0, 0.6, 0.9, 0.5, 0.95, 0.55, 1.0, 0.5};
        List<Doctor.Finding> f = Doctor.readHistory(history(val, val), CLASSES);
        assertTrue(f.stream().anyMatch(x -> x.verdict().equals("oscillating") && x.fix().equals(Doctor.OSCILLATING)), f.toString());
    }

    @Test
    void healthyHistoryIsOk() {
        double[] train = {1.0, 0.6, 0.4, 0.3, 0.25};
        double[] val = {1.0, 0.65, 0.45, 0.35, 0.3};
        List<Doctor.Finding> f = Doctor.readHistory(history(train, val), CLASSES);
        assertEquals(List.of("ok"), f.stream().map(Doctor.Finding::verdict).toList());
    }
}
