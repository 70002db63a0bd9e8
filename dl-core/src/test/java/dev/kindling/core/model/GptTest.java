package dev.kindling.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.layer.GptLayer;
import dev.kindling.core.layer.ScoreFromBackpropLayer;
import dev.kindling.core.metrics.LanguageModelMetrics;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import java.util.Map;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

@ExtendWith(DoublePrecision.class)
class GptTest {

    private static ComputationGraph init(Gpt.Spec spec, int t, NetDefaults d) {
        ComputationGraph g = new ComputationGraph(Gpt.configure(spec, t, 4, d));
        g.init();
        return g;
    }

    private static INDArray tokens(DataType type, int b, int t, int vocab, long seed) {
        java.util.Random r = new java.util.Random(seed);
        double[][] ids = new double[b][t];
        for (double[] row : ids) {
            for (int j = 0; j < t; j++) {
                row[j] = r.nextInt(vocab);
            }
        }
        return Nd4j.createFromArray(ids).castTo(type);
    }

    @Test
    void shapesAndParameterCountFollowTheSeed() {
        Gpt.Spec spec = new Gpt.Spec(73, 512, 6, 8, 256, 1024, 0.1);
        assertEquals(spec, Gpt.Spec.tutorial(73));
        ComputationGraph g = init(spec, 16, NetDefaults.adamW(1, DataType.FLOAT, CosineAnnealing.tutorial(), 0.1));
        INDArray probs = g.outputSingle(tokens(DataType.FLOAT, 2, 16, 73, 1));
        assertArrayEquals(new long[] {2, 73, 16}, probs.shape());
        assertEquals(1.0, probs.sum(1).meanNumber().doubleValue(), 1e-5);
        // PyTorch's count for vocab 73 (the tied head counted once): 73*256 + 512*256 + 6 * 788,736 + 2*256
        assertEquals(4_882_688L, spec.parameterCount());
        assertEquals(spec.parameterCount(), g.numParams());
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Gpt.Spec spec = new Gpt.Spec(7, 6, 1, 2, 4, 8, 0.0); // one block keeps the check to seconds
        ComputationGraph g = init(spec, 5, NetDefaults.gradientCheck(3));
        // away from the tiny N(0, 0.02) init so every path carries a visible gradient
        for (Map.Entry<String, INDArray> e : g.getLayer(Gpt.OUTPUT).paramTable().entrySet()) {
            e.getValue().addi(Nd4j.randn(DataType.DOUBLE, e.getValue().shape()).muli(0.5));
        }
        INDArray x = tokens(DataType.DOUBLE, 2, 5, spec.vocabSize(), 4);
        INDArray y = tokens(DataType.DOUBLE, 2, 5, spec.vocabSize(), 5);
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                .inputs(new INDArray[] {x}).labels(new INDArray[] {y})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).exitOnFirstError(false)
                .subset(true).maxPerParam(4).print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
        assertTrue(ok, "gradient check failed; see the log");
    }

    @Test
    void headAndEmbeddingShareOneArrayAndBothUsesReachItsGradient() {
        Gpt.Spec spec = Gpt.Spec.tiny();
        ComputationGraph g = init(spec, 4, NetDefaults.gradientCheck(3));
        long vc = (long) spec.vocabSize() * spec.width();
        assertEquals(1, g.getLayer(Gpt.OUTPUT).paramTable().values().stream().filter(a -> a.length() == vc).count(),
                "one [V, C] array, no separate head weight");
        INDArray wte = g.getLayer(Gpt.OUTPUT).getParam(GptLayer.WTE);
        wte.addi(Nd4j.randn(DataType.DOUBLE, wte.shape()).muli(0.5));
        // token 0 is an input (embedding use) and a candidate output (head use); token 5 only the latter
        INDArray x = Nd4j.createFromArray(new double[][] {{0, 1, 2, 0}});
        INDArray y = Nd4j.createFromArray(new double[][] {{1, 2, 0, 3}});
        g.setInputs(x);
        g.setLabels(y);
        g.computeGradientAndScore();
        INDArray grad = g.gradient().getGradientFor(Gpt.OUTPUT + "_" + GptLayer.WTE).dup();
        for (int row : new int[] {0, 5}) {
            for (int col = 0; col < spec.width(); col++) {
                double eps = 1e-6, keep = wte.getDouble(row, col);
                wte.putScalar(row, col, keep + eps);
                double up = g.score(new DataSet(x, y), false);
                wte.putScalar(row, col, keep - eps);
                double down = g.score(new DataSet(x, y), false);
                wte.putScalar(row, col, keep);
                assertEquals((up - down) / (2 * eps), grad.getDouble(row, col), 1e-7, "dL/dwte[" + row + ", " + col + "]");
            }
        }
        assertTrue(grad.getRow(5).norm2Number().doubleValue() > 0, "the head's use reaches a row no input token uses");
    }

    @Test
    void scoreIsTheMeanTokenCrossEntropyOfTheOutputs() {
        ComputationGraph g = init(new Gpt.Spec(11, 8, 1, 2, 8, 16, 0.0), 6, NetDefaults.gradientCheck(5));
        for (INDArray p : g.getLayer(Gpt.OUTPUT).paramTable().values()) {
            p.addi(Nd4j.randn(p.dataType(), p.shape()));
        }
        INDArray x = Nd4j.createFromArray(new double[][] {{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 0, 1}, {3, 3, 3, 3, 3, 3}});
        INDArray y = Nd4j.createFromArray(new double[][] {{2, 3, 4, 5, 6, 7}, {8, 9, 10, 0, 1, 2}, {3, 3, 3, 3, 3, 4}});
        LanguageModelMetrics m = new LanguageModelMetrics();
        m.add(g.outputSingle(x), y, null);
        // DL4J divides a layer's loss by the batch size: the layer sums per-example means, so the score is
        // F.cross_entropy's mean over all B * T tokens, what validation reports
        assertEquals(m.loss(), g.score(new DataSet(x, y), false), 1e-9);
        assertEquals(18, m.tokens());
    }

    @Test
    void changingALaterTokenLeavesEarlierPredictionsUnchanged() {
        ComputationGraph g = init(Gpt.Spec.tiny(), 5, NetDefaults.gradientCheck(3));
        INDArray x = Nd4j.createFromArray(new double[][] {{1, 2, 3, 4, 5}});
        INDArray changed = Nd4j.createFromArray(new double[][] {{1, 2, 3, 6, 0}});
        INDArray a = g.outputSingle(x), b = g.outputSingle(changed);
        assertEquals(a.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 3)),
                b.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 3)));
        assertNotEquals(a.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(3)),
                b.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(3)));
    }

    @Test
    void dropoutActsOnTheTrainingLossButNotOnOutputs() {
        Gpt.Spec spec = new Gpt.Spec(7, 6, 2, 2, 4, 8, 0.5);
        ComputationGraph g = init(spec, 5, NetDefaults.gradientCheck(3));
        INDArray x = tokens(DataType.DOUBLE, 3, 5, 7, 1);
        INDArray y = tokens(DataType.DOUBLE, 3, 5, 7, 2);
        assertEquals(g.outputSingle(x), g.outputSingle(x));
        double s1 = g.score(new DataSet(x, y), true);
        g.setInputs(x);
        g.setLabels(y);
        g.computeGradientAndScore();
        double a = g.score();
        g.computeGradientAndScore();
        assertNotEquals(a, g.score(), "two training passes draw different dropout masks");
        assertTrue(Double.isFinite(s1));
        // the same parameters without dropout give one deterministic training loss
        ComputationGraph plain = init(new Gpt.Spec(7, 6, 2, 2, 4, 8, 0.0), 5, NetDefaults.gradientCheck(3));
        plain.setParams(g.params());
        assertEquals(plain.outputSingle(x), g.outputSingle(x));
        plain.setInputs(x);
        plain.setLabels(y);
        plain.computeGradientAndScore();
        double p1 = plain.score();
        plain.computeGradientAndScore();
        assertEquals(p1, plain.score(), 0.0);
        assertNotEquals(p1, a);
    }

    @Test
    void trainingScoreIsTheLossOfTheForwardItsGradientCameFrom() {
        Gpt.Spec spec = new Gpt.Spec(7, 6, 2, 2, 4, 8, 0.5);
        ComputationGraph g = init(spec, 5, NetDefaults.gradientCheck(3));
        assertTrue(g.getLayer(Gpt.OUTPUT) instanceof ScoreFromBackpropLayer);
        INDArray x = tokens(DataType.DOUBLE, 3, 5, 7, 1);
        INDArray y = tokens(DataType.DOUBLE, 3, 5, 7, 2);
        g.setInputs(x);
        g.setLabels(y);
        Nd4j.getRandom().setSeed(11);
        g.computeGradientAndScore();
        double step = g.score();
        double drawnAfterStep = Nd4j.getRandom().nextDouble();
        // the training forward alone, from the same seed, draws the same dropout masks: its loss is the step's
        // score, and nothing else drew from the generator (DL4J's own runtime runs that forward a second time)
        Nd4j.getRandom().setSeed(11);
        assertEquals(step, g.score(new DataSet(x, y), true), 1e-12);
        assertEquals(Nd4j.getRandom().nextDouble(), drawnAfterStep, 0.0);
        // a score asked for other data runs its own forward
        INDArray other = tokens(DataType.DOUBLE, 3, 5, 7, 3);
        assertNotEquals(step, g.score(new DataSet(other, y), true));
    }

    @Test
    void initIsNormalWithStd002AndZeroBiases() {
        Gpt.Spec spec = new Gpt.Spec(50, 64, 1, 2, 64, 128, 0.0);
        ComputationGraph g = init(spec, 8, NetDefaults.gradientCheck(9));
        Map<String, INDArray> p = g.getLayer(Gpt.OUTPUT).paramTable();
        assertEquals(0.02, p.get(GptLayer.WTE).stdNumber().doubleValue(), 0.002);
        assertEquals(0.02, p.get(GptLayer.key(0, "ff1w")).stdNumber().doubleValue(), 0.002);
        assertEquals(0.0, p.get(GptLayer.key(0, "ff1b")).norm1Number().doubleValue(), 0.0);
        assertEquals(64.0, p.get("lnfg").sumNumber().doubleValue(), 0.0);
    }

    @Test
    void saveAndLoadGiveIdenticalOutputs() throws Exception {
        Gpt.Spec spec = new Gpt.Spec(11, 8, 2, 2, 8, 16, 0.1);
        ComputationGraph g = init(spec, 8, NetDefaults.adamW(3, DataType.FLOAT, CosineAnnealing.tutorial(), 0.1));
        INDArray x = tokens(DataType.FLOAT, 2, 8, 11, 3);
        byte[] zip = ModelStore.toBytes(g, Architecture.GPT, Map.of());
        ModelStore.Loaded back = ModelStore.fromBytes(zip, "memory");
        assertEquals(g.outputSingle(x), back.graph().outputSingle(x));
    }

    @Test
    void specRejectsHeadsThatDoNotDivideWidth() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Gpt.Spec(10, 8, 1, 3, 8, 16, 0));
        assertTrue(e.getMessage().contains("width=8, heads=3"), e.getMessage());
    }
}
