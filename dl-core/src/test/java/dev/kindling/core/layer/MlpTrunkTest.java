package dev.kindling.core.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.model.Head;
import dev.kindling.core.model.Mlp;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import java.util.Map;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** {@link MlpTrunk} against the five DL4J layers it replaces ({@link Mlp.Form#LAYERS}), and its dropout. */
@ExtendWith(DoublePrecision.class)
class MlpTrunkTest {
    /** The trunk's parameters and the five layers' (vertex, key) they equal. */
    private static final Map<String, String[]> TWIN = Map.of(
            MlpTrunk.FC1_W, new String[] {"fc1", "W"}, MlpTrunk.FC1_B, new String[] {"fc1", "b"},
            MlpTrunk.LN_GAIN, new String[] {"ln1", "g"}, MlpTrunk.LN_BIAS, new String[] {"ln1", "b"},
            MlpTrunk.FC2_W, new String[] {"fc2", "W"}, MlpTrunk.FC2_B, new String[] {"fc2", "b"});

    private static ComputationGraph init(ComputationGraphConfiguration conf) {
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    private static DataSet batch(Head head, int rows, int inputs, int classes, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(DataType.DOUBLE, rows, inputs);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, rows, head.width(classes));
        for (int r = 0; r < rows; r++) {
            y.putScalar(r, head == Head.BINARY ? 0 : r % classes, head == Head.BINARY ? r % 2 : 1);
        }
        return new DataSet(x, y);
    }

    /** The five layers, and the trunk holding their parameters (output layer copied too). */
    private static ComputationGraph[] twins(Mlp.Spec spec, NetDefaults d) {
        ComputationGraph layers = init(Mlp.configure(spec, d, Mlp.Form.LAYERS));
        ComputationGraph trunk = init(Mlp.configure(spec, d, Mlp.Form.TRUNK));
        TWIN.forEach((key, from) -> trunk.getLayer(Mlp.TRUNK).getParam(key).assign(layers.getLayer(from[0]).getParam(from[1])));
        trunk.getLayer(Mlp.OUTPUT).setParams(layers.getLayer(Mlp.OUTPUT).params().dup());
        return new ComputationGraph[] {layers, trunk};
    }

    @Test
    void outputsScoresAndGradientsEqualTheFiveLayersInDouble() {
        for (Head head : Head.values()) {
            Mlp.Spec spec = new Mlp.Spec(7, 10, 3, head, 0.0);
            ComputationGraph[] g = twins(spec, NetDefaults.gradientCheck(5));
            DataSet ds = batch(head, 6, 7, 3, 11);
            INDArray want = g[0].outputSingle(ds.getFeatures());
            INDArray got = g[1].outputSingle(ds.getFeatures());
            assertTrue(want.equalsWithEps(got, 1e-12), head + ": outputs " + want + " vs " + got);
            for (ComputationGraph net : g) {
                net.setInputs(ds.getFeatures());
                net.setLabels(ds.getLabels());
                net.computeGradientAndScore();
            }
            assertEquals(g[0].score(), g[1].score(), 1e-12, head + ": score");
            Map<String, INDArray> want0 = g[0].gradient().gradientForVariable();
            Map<String, INDArray> got1 = g[1].gradient().gradientForVariable();
            TWIN.forEach((key, from) -> {
                INDArray w = want0.get(from[0] + "_" + from[1]), a = got1.get(Mlp.TRUNK + "_" + key);
                assertTrue(w.reshape(a.shape()).equalsWithEps(a, 1e-10), head + ": gradient of " + key + "\n" + w + "\n" + a);
            });
            assertTrue(want0.get("output_W").equalsWithEps(got1.get("output_W"), 1e-10), head + ": output W gradient");
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesWithDropoutWhenTheMaskIsReseeded() {
        ComputationGraph g = init(Mlp.configure(new Mlp.Spec(5, 8, 3, Head.SOFTMAX, 0.4), NetDefaults.gradientCheck(7)));
        DataSet ds = batch(Head.SOFTMAX, 4, 5, 3, 13);
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                .inputs(new INDArray[] {ds.getFeatures()}).labels(new INDArray[] {ds.getLabels()})
                .callEachIter(net -> Nd4j.getRandom().setSeed(12345)) // the same dropout mask for every evaluation
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).exitOnFirstError(false)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
        assertTrue(ok, "gradient check with dropout 0.4 failed");
    }

    @Test
    void dropoutFollowsNd4jsSeedDropsAboutPAndIsOffAtInference() {
        Mlp.Spec spec = new Mlp.Spec(6, 400, 2, Head.SOFTMAX, 0.3);
        ComputationGraph g = init(Mlp.configure(spec, NetDefaults.gradientCheck(3)));
        INDArray x = batch(Head.SOFTMAX, 50, 6, 2, 17).getFeatures();
        Nd4j.getRandom().setSeed(99);
        INDArray a = g.feedForward(x, true).get(Mlp.TRUNK).dup();
        Nd4j.getRandom().setSeed(99);
        INDArray same = g.feedForward(x, true).get(Mlp.TRUNK).dup();
        INDArray other = g.feedForward(x, true).get(Mlp.TRUNK).dup();
        INDArray inference = g.feedForward(x, false).get(Mlp.TRUNK);
        assertEquals(a, same, "one ND4J seed, one mask");
        assertFalse(a.equalsWithEps(other, 1e-9), "the next draw, another mask");
        assertEquals(inference, g.feedForward(x, false).get(Mlp.TRUNK), "no dropout at inference");
        assertFalse(a.equalsWithEps(inference, 1e-9));

        // with fc2's weights the identity on the first 200 units (and 0 elsewhere), the output is dropout's own factors times relu(ln)
        MlpTrunk conf = (MlpTrunk) g.getLayer(Mlp.TRUNK).conf().getLayer();
        INDArray w2 = g.getLayer(Mlp.TRUNK).getParam(MlpTrunk.FC2_W).assign(0);
        for (int i = 0; i < 200; i++) {
            w2.putScalar(i, i, 1.0);
        }
        Nd4j.getRandom().setSeed(5);
        INDArray kept = g.feedForward(x, true).get(Mlp.TRUNK);
        INDArray plain = g.feedForward(x, false).get(Mlp.TRUNK);
        long live = 0, dropped = 0;
        for (int r = 0; r < 50; r++) {
            for (int j = 0; j < 200; j++) {
                double p = plain.getDouble(r, j), k = kept.getDouble(r, j);
                if (p > 1e-9) {
                    live++;
                    if (k == 0) {
                        dropped++;
                    } else {
                        assertEquals(p / (1 - conf.getDropout()), k, 1e-12, "a kept unit is scaled by 1/(1-p)");
                    }
                }
            }
        }
        double rate = (double) dropped / live;
        assertTrue(Math.abs(rate - 0.3) < 0.03, "dropped " + dropped + " of " + live + " live units: " + rate);
    }

    @Test
    void configurationSurvivesJsonWithItsPrecisionSettings() {
        ComputationGraphConfiguration conf = Mlp.configure(Mlp.Spec.tutorial(),
                NetDefaults.adamW(1, DataType.FLOAT, CosineAnnealing.tutorial(), 1e-4));
        MlpTrunk t = trunkOf(conf);
        t.setMatmuls(DataType.BFLOAT16);
        t.setInitialLossScale(1024);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        MlpTrunk b = trunkOf(back);
        assertEquals(128, b.getHidden());
        assertEquals(0.3, b.getDropout(), 0);
        assertEquals(DataType.BFLOAT16, b.getMatmuls());
        assertEquals(1024, b.getInitialLossScale(), 0);
        assertEquals(20 * 128 + 128 + 2 * 128 + 128 * 64 + 64 + 64 + 1, init(back).numParams());
    }

    private static MlpTrunk trunkOf(ComputationGraphConfiguration conf) {
        return (MlpTrunk) ((LayerVertex) conf.getVertices().get(Mlp.TRUNK)).getLayerConf().getLayer();
    }

    @Test
    void badSizesAreRefusedNamingThem() {
        var e = assertThrows(IllegalArgumentException.class, () -> new MlpTrunk(20, 7, 0.1));
        assertTrue(e.getMessage().contains("hidden=7"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MlpTrunk(20, 8, 1.0));
    }
}
