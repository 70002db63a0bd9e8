package dev.kindling.core.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.model.Gpt;
import dev.kindling.core.model.Head;
import dev.kindling.core.model.Mlp;
import dev.kindling.core.model.SmallCnn;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.schedule.FixedSchedule;

class InPlaceUpdaterTest {
    static final long SEED = 5;
    static final int STEPS = 8;

    static NetDefaults adamW() {
        return new NetDefaults(SEED, DataType.FLOAT, AdamW.adam(new FixedSchedule(1e-2)), 1e-2);
    }

    static ComputationGraph net(ComputationGraphConfiguration conf) {
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    static DataSet classes(INDArray x, int classes) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, x.size(0), classes);
        for (int i = 0; i < x.size(0); i++) {
            y.putScalar(i, i % classes, 1);
        }
        return new DataSet(x, y);
    }

    /** Trains a net with DL4J's updater and one with the in-place updater from the same start: every bit the same. */
    static void assertSameTraining(Supplier<ComputationGraph> build, DataSet data) {
        ComputationGraph dl4j = build.get(), inPlace = InPlaceUpdater.install(build.get());
        assertArrayEquals(bits(dl4j.params()), bits(inPlace.params()), "same start");
        for (int i = 0; i < STEPS; i++) {
            Nd4j.getRandom().setSeed(100 + i); // dropout draws the same masks in both
            dl4j.fit(data);
            Nd4j.getRandom().setSeed(100 + i);
            inPlace.fit(data);
        }
        assertArrayEquals(bits(dl4j.params()), bits(inPlace.params()), "parameters after " + STEPS + " steps");
        assertArrayEquals(bits(dl4j.getUpdater().getStateViewArray()), bits(inPlace.getUpdater().getStateViewArray()),
                "updater state after " + STEPS + " steps");
        assertFalse(Arrays.equals(bits(dl4j.params()), bits(build.get().params())), "the parameters moved");
    }

    /** Every float's bits: equal only when bit for bit equal (INDArray.equals allows 1e-5). */
    static int[] bits(INDArray a) {
        float[] f = a.dup().data().asFloat();
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = Float.floatToRawIntBits(f[i]);
        }
        return out;
    }

    @Test
    void theMlpTrainsBitForBitAsUnderDl4jsUpdater() {
        Nd4j.getRandom().setSeed(SEED);
        DataSet d = classes(Nd4j.randn(DataType.FLOAT, 16, 12), 3);
        assertSameTraining(() -> net(Mlp.configure(new Mlp.Spec(12, 16, 3, Head.SOFTMAX, 0.3), adamW())), d);
    }

    /** BatchNorm's running statistics are parameters DL4J does not divide by the batch size: the other path of that division. */
    @Test
    void aCnnWithBatchNormTrainsBitForBitAsUnderDl4jsUpdater() {
        Nd4j.getRandom().setSeed(SEED);
        DataSet d = classes(Nd4j.rand(DataType.FLOAT, 6, 2, 8, 8), 3);
        assertSameTraining(() -> net(SmallCnn.configure(SmallCnn.Spec.tiny(), adamW())), d);
    }

    /** SameDiff layers (the GPT's blocks) keep their parameters in the same flat view. */
    @Test
    void theGptTrainsBitForBitAsUnderDl4jsUpdater() {
        INDArray x = Nd4j.zeros(DataType.FLOAT, 4, 6), y = Nd4j.zeros(DataType.FLOAT, 4, 6);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 6; j++) {
                x.putScalar(i, j, (i + j) % 7);
                y.putScalar(i, j, (i + j + 1) % 7);
            }
        }
        assertSameTraining(() -> net(Gpt.configure(Gpt.Spec.tiny(), 6, 4, adamW())), new DataSet(x, y));
    }

    @Test
    void installKeepsTheUpdaterStateAndIsIdempotent() {
        Nd4j.getRandom().setSeed(SEED);
        DataSet d = classes(Nd4j.randn(DataType.FLOAT, 16, 12), 3);
        // each net its own configuration: DL4J counts iterations (Adam's bias correction) in the configuration
        Supplier<ComputationGraph> build = () -> net(Mlp.configure(new Mlp.Spec(12, 16, 3, Head.SOFTMAX, 0.0), adamW()));
        ComputationGraph through = build.get(), switched = build.get();
        for (int i = 0; i < 2 * STEPS; i++) {
            if (i == STEPS) { // half way, as a resumed or restored net is: Adam's moments already non-zero
                INDArray state = switched.getUpdater().getStateViewArray();
                assertSame(switched, InPlaceUpdater.install(switched));
                assertSame(state, switched.getUpdater().getStateViewArray(), "the same state array, not a copy");
                var installed = switched.getUpdater();
                InPlaceUpdater.install(switched);
                assertSame(installed, switched.getUpdater(), "a second install changes nothing");
            }
            through.fit(d);
            switched.fit(d);
        }
        assertArrayEquals(bits(through.params()), bits(switched.params()));
        assertArrayEquals(bits(through.getUpdater().getStateViewArray()), bits(switched.getUpdater().getStateViewArray()));
    }

    @Test
    void anUninitialisedNetworkIsRefusedByName() {
        var e = assertThrows(IllegalStateException.class,
                () -> InPlaceUpdater.install(new ComputationGraph(Mlp.configure(new Mlp.Spec(12, 16, 3, Head.SOFTMAX, 0.0), adamW()))));
        assertTrue(e.getMessage().contains("net.init()"), e.getMessage());
    }

    @Test
    void onlyTheNetworksOwnFlatGradientCountsAsTheSameMemory() {
        ComputationGraph n = net(Mlp.configure(new Mlp.Spec(12, 16, 3, Head.SOFTMAX, 0.0), adamW()));
        n.fit(classes(Nd4j.randn(DataType.FLOAT, 4, 12), 3)); // DL4J makes the flat gradient on the first step
        INDArray flat = n.getFlattenedGradients();
        assertTrue(InPlaceUpdater.sameMemory(new DefaultGradient(flat).gradient(), flat), "DL4J's reshape of the flat gradient");
        assertTrue(InPlaceUpdater.sameMemory(flat, flat));
        assertFalse(InPlaceUpdater.sameMemory(flat.dup(), flat), "a copy");
        assertFalse(InPlaceUpdater.sameMemory(flat.get(NDArrayIndex.interval(0, 1), NDArrayIndex.interval(0, flat.length() - 1)), flat), "a part");
        assertFalse(InPlaceUpdater.sameMemory(flat.get(NDArrayIndex.interval(0, 1), NDArrayIndex.interval(1, flat.length())), flat), "a shifted part");
        assertFalse(InPlaceUpdater.sameMemory(null, flat));
    }

    /**
     * What the change is for, counted: ND4J arrays whose native buffers an {@code update} registers with ND4J's
     * deallocator (a counter inside ND4J's {@code DeallocatorService}; if ND4J renames it, this test names it).
     */
    @Test
    void anUpdateRegistersAFractionOfTheNativeBuffersDl4jsUpdaterDoes() throws Exception {
        Nd4j.getRandom().setSeed(SEED);
        DataSet d = classes(Nd4j.randn(DataType.FLOAT, 16, 12), 3);
        Supplier<ComputationGraph> build = () -> net(Mlp.configure(new Mlp.Spec(12, 16, 3, Head.SOFTMAX, 0.0), adamW()));
        long dl4j = buffersPerUpdate(build.get(), d), inPlace = buffersPerUpdate(InPlaceUpdater.install(build.get()), d);
        assertTrue(inPlace * 5 < dl4j, "native buffers per update: in place " + inPlace + ", DL4J's updater " + dl4j);
    }

    static long buffersPerUpdate(ComputationGraph net, DataSet d) throws Exception {
        net.fit(d); // the updater's blocks and views made
        net.setInputs(d.getFeatures());
        net.setLabels(d.getLabels());
        net.computeGradientAndScore();
        var field = Nd4j.getDeallocatorService().getClass().getDeclaredField("counter");
        field.setAccessible(true);
        AtomicLong counter = (AtomicLong) field.get(Nd4j.getDeallocatorService());
        long before = counter.get();
        net.getUpdater().update(net.gradient(), 1, 0, d.numExamples(), LayerWorkspaceMgr.noWorkspaces());
        return counter.get() - before;
    }
}
