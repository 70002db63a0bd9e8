package dev.kindling.spark.allreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.data.ImageShape;
import dev.kindling.core.model.Gpt;
import dev.kindling.core.model.Head;
import dev.kindling.core.model.LstmClassifier;
import dev.kindling.core.model.Mlp;
import dev.kindling.core.model.SmallCnn;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * What overlapping the all-reduce with backprop rests on, for DL4J's layers and Kindling's own
 * (BatchNorm's running statistics, the batched LSTM, the GPT's SameDiff layer): the watch reports each
 * layer vertex once per step, in reverse topological order, and once the vertex at position p has
 * reported, the gradient from offset(p) to the end is already what the step's gradient ends as.
 */
class BackpropWatchTest {
    private static final NetDefaults ADAM = NetDefaults.adamW(1, DataType.FLOAT, CosineAnnealing.tutorial(), 0.1);

    @Test
    void eachArchitecturesGradientIsFinalFromAVertexOnOnceItsBackwardReturns() {
        check("mlp", Mlp.configure(new Mlp.Spec(5, 6, 3, Head.SOFTMAX, 0.2), ADAM), Nd4j.rand(DataType.FLOAT, 4, 5), oneHot(4, 3));
        check("small-cnn", SmallCnn.configure(new SmallCnn.Spec(new ImageShape(2, 8, 8), false, new int[] {2, 3, 3, 2, 3}, 4, 3, 0.2, 0.1),
                ADAM), Nd4j.rand(DataType.FLOAT, 4, 2, 8, 8), oneHot(4, 3));
        check("lstm-classifier", LstmClassifier.configure(LstmClassifier.Spec.tiny(), ADAM), Nd4j.rand(DataType.FLOAT, 4, 3, 5), oneHot(4, 2));
        Gpt.Spec gpt = new Gpt.Spec(7, 6, 2, 2, 4, 8, 0.1);
        check("gpt", Gpt.configure(gpt, 5, 4, ADAM), tokens(4, 5, 7, 1), tokens(4, 5, 7, 2));
    }

    private static void check(String name, ComputationGraphConfiguration conf, INDArray x, INDArray y) {
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        BucketPlan plan = BucketPlan.of(net, 1);
        assertNotNull(plan, name + ": the gradient is laid out by topological order");
        List<Integer> reported = new ArrayList<>();
        List<INDArray> suffixAtReport = new ArrayList<>();
        INDArray gradient = net.getGradientsViewArray().reshape(net.numParams());
        assertTrue(BackpropWatch.install(net, p -> {
            reported.add(p);
            try (var out = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) { // backprop runs in a workspace
                suffixAtReport.add(gradient.get(NDArrayIndex.interval(plan.offset()[p], net.numParams())).dup());
            }
        }), name);
        INDArray[] atEnd = new INDArray[1];
        net.setListeners(new BaseTrainingListener() {
            @Override
            public void onGradientCalculation(Model model) {
                try (var out = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                    atEnd[0] = model.getGradientsViewArray().reshape(model.numParams()).dup();
                }
            }
        });
        for (int step = 0; step < 2; step++) {
            reported.clear();
            suffixAtReport.clear();
            net.fit(new DataSet(x, y));
            long withParams = Arrays.stream(net.getVertices()).filter(v -> v.numParams() > 0).count();
            assertEquals(withParams, reported.size(), name + ": every vertex with parameters reported once: " + reported);
            for (int i = 1; i < reported.size(); i++) {
                assertTrue(reported.get(i) < reported.get(i - 1), name + ": reverse topological order " + reported);
            }
            for (int i = 0; i < reported.size(); i++) {
                long from = plan.offset()[reported.get(i)];
                assertArrayEquals(atEnd[0].get(NDArrayIndex.interval(from, net.numParams())).toFloatVector(), suffixAtReport.get(i).toFloatVector(),
                        name + ": the gradient from " + from + " was final when position " + reported.get(i) + " reported");
            }
        }
        assertTrue(Double.isFinite(net.score()), name + " trained");
    }

    @Test
    void bucketsCloseAtVertexBoundariesFromTheEndOfTheGradient() {
        ComputationGraph net = new ComputationGraph(Mlp.configure(new Mlp.Spec(20, 30, 3, Head.SOFTMAX, 0), ADAM));
        net.init();
        BucketPlan one = BucketPlan.of(net, 1);
        BucketPlan all = BucketPlan.of(net, net.numParams());
        assertEquals(1, all.buckets());
        assertArrayEquals(new long[] {0}, all.start());
        assertArrayEquals(new long[] {net.numParams()}, all.end());
        assertEquals(net.numParams(), one.end()[0], "the first bucket ends the gradient: backprop finishes it first");
        for (int b = 1; b < one.buckets(); b++) {
            assertEquals(one.start()[b - 1], one.end()[b], "buckets tile the gradient");
            long start = one.start()[b];
            assertTrue(Arrays.stream(one.offset()).anyMatch(o -> o == start), "a bucket starts at a vertex boundary");
        }
        assertEquals(0, one.start()[one.buckets() - 1]);
        assertEquals(Arrays.stream(net.getVertices()).filter(v -> v.numParams() > 0).count(), one.buckets(), "1-float buckets: one per layer");
        long last = net.numParams() - one.start()[0];
        BucketPlan two = BucketPlan.of(net, last + 1);
        assertEquals(one.start()[1], two.start()[0], "a bucket one float larger than the last layer closes after the layer before it");
        assertEquals(one.bucketOf(0), one.buckets() - 1);
    }

    private static INDArray oneHot(int b, int classes) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, b, classes);
        for (int i = 0; i < b; i++) {
            y.putScalar(i, i % classes, 1);
        }
        return y;
    }

    private static INDArray tokens(int b, int t, int vocab, long seed) {
        java.util.Random r = new java.util.Random(seed);
        INDArray ids = Nd4j.zeros(DataType.FLOAT, b, t);
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                ids.putScalar(i, j, r.nextInt(vocab));
            }
        }
        return ids;
    }
}
