package dev.kindling.core.scratch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ScratchMlpGraphTest {
    private static final int[] DIMS = {2, 8, 6, 4};
    private static final int BATCH = 16;

    private static INDArray oneHot(int[] y, int classes) {
        double[][] m = new double[y.length][classes];
        for (int r = 0; r < y.length; r++) {
            m[r][y[r]] = 1.0;
        }
        return Nd4j.create(m);
    }

    private static double maxAbsDiff(double[][] expected, INDArray actual) {
        // DL4J biases (and their gradients) are rank 1, [out]; compare them as [1, out]
        INDArray matrix = actual.rank() == 1 ? actual.reshape(1, actual.length()) : actual;
        double[][] a = matrix.toDoubleMatrix();
        assertEquals(expected.length, a.length, "rows");
        double max = 0;
        for (int r = 0; r < a.length; r++) {
            assertEquals(expected[r].length, a[r].length, "columns");
            for (int j = 0; j < a[r].length; j++) {
                max = Math.max(max, Math.abs(expected[r][j] - a[r][j]));
            }
        }
        return max;
    }

    private static double[][] scaled(double[][] m, double factor) {
        double[][] out = new double[m.length][];
        for (int r = 0; r < m.length; r++) {
            out[r] = m[r].clone();
            for (int j = 0; j < out[r].length; j++) {
                out[r][j] *= factor;
            }
        }
        return out;
    }

    @Test
    void dl4jGraphWithCopiedWeightsGivesSameLogitsAndGradients() {
        ScratchMlp net = ScratchMlp.create(DIMS, new Random(21));
        QuadrantTask batch = QuadrantTask.generate(BATCH, 22L);
        double[][] x = batch.features();
        int[] y = batch.labels();
        ComputationGraph graph = ScratchMlpGraph.fromScratch(net);
        INDArray input = Nd4j.create(x); // [B, 2]
        assertEquals(DataType.DOUBLE, input.dataType());

        // Logits: DL4J keeps its pre-softmax output internal, so apply the output layer's own W and b
        // to DL4J's last hidden activation.
        Map<String, INDArray> acts = graph.feedForward(input, false);
        INDArray hidden = acts.get(ScratchMlpGraph.layerName(1, 3)); // [B, 6]
        INDArray wOut = graph.getLayer(ScratchMlpGraph.OUTPUT).getParam(ScratchMlpGraph.WEIGHT_KEY);
        INDArray bOut = graph.getLayer(ScratchMlpGraph.OUTPUT).getParam(ScratchMlpGraph.BIAS_KEY);
        INDArray dl4jLogits = hidden.mmul(wOut).addRowVector(bOut); // [B, 4]
        assertTrue(maxAbsDiff(net.logits(x), dl4jLogits) < 1e-10, "logits");
        assertTrue(maxAbsDiff(net.probabilities(x), graph.outputSingle(input)) < 1e-10, "probabilities");

        double scratchLoss = net.forward(x, y);
        net.backward();
        graph.setInputs(input);
        graph.setLabels(oneHot(y, 4));
        graph.computeGradientAndScore();

        // Loss. DL4J's MCXENT has no additive epsilon: it clips p to [1e-10, 1 - 1e-10] (a no-op
        // here) and takes -mean(log p[y]). The seed adds 1e-9 inside the log, so the two differ by
        // exactly mean(log(1 + 1e-9 / p[y])), a few 1e-9 here; after removing that term they agree
        // to rounding.
        double[][] p = net.probabilities(x);
        double epsilonTerm = 0;
        for (int r = 0; r < BATCH; r++) {
            epsilonTerm += Math.log1p(SoftmaxCrossEntropy.LOG_EPSILON / p[r][y[r]]);
        }
        epsilonTerm /= BATCH;
        assertTrue(epsilonTerm > 1e-10, "the epsilon term is visible at this scale");
        assertEquals(epsilonTerm, graph.score() - scratchLoss, 1e-13, "score - scratch loss");

        // Gradients. DL4J's gradient is the SUM over the minibatch of per-example gradients (the
        // MCXENT delta is p - onehot, not divided by B; the updater divides by B later, see
        // BaseMultiLayerUpdater.divideByMinibatch), while the scratch net's is the mean. So DL4J's
        // gradient equals B times the scratch gradient.
        for (int i = 0; i < 3; i++) {
            String name = ScratchMlpGraph.layerName(i, 3);
            Layer layer = net.layers().get(i);
            INDArray gW = graph.gradient().getGradientFor(name + "_" + ScratchMlpGraph.WEIGHT_KEY);
            INDArray gB = graph.gradient().getGradientFor(name + "_" + ScratchMlpGraph.BIAS_KEY);
            double dW = maxAbsDiff(scaled(layer.weightGradient(), BATCH), gW);
            double db = maxAbsDiff(scaled(layer.biasGradient(), BATCH), gB);
            assertTrue(dW < 1e-10, () -> name + " W gradient differs by " + dW);
            assertTrue(db < 1e-10, () -> name + " b gradient differs by " + db);
        }
    }

    @Test
    void roundTripThroughADl4jModelZipGivesIdenticalPredictions(@TempDir Path dir) throws IOException {
        ScratchTrainer.Spec spec = new ScratchTrainer.Spec(new int[] {2, 16, 8, 4}, 0.05, 64, 20, 500,
                5L, 20);
        ScratchMlp trained = ScratchTrainer.run(spec).model();
        QuadrantTask probe = QuadrantTask.generate(200, 6L);
        INDArray probeInput = Nd4j.create(probe.features());
        File zip = dir.resolve("scratch-mlp.zip").toFile();

        ModelSerializer.writeModel(ScratchMlpGraph.fromScratch(trained), zip, false);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(zip);
        ScratchMlp back = ScratchMlpGraph.toScratch(restored);

        assertArrayEquals(new int[] {2, 16, 8, 4}, back.dims());
        assertArrayEquals(trained.predict(probe.features()), back.predict(probe.features()));
        double[][] before = trained.logits(probe.features());
        double[][] after = back.logits(probe.features());
        for (int r = 0; r < before.length; r++) {
            assertArrayEquals(before[r], after[r], 0.0, "logits bit for bit");
        }
        int[] graphPredictions = restored.outputSingle(probeInput).argMax(1).toIntVector();
        assertArrayEquals(trained.predict(probe.features()), graphPredictions);
    }

    @Test
    void graphHasOneVertexPerSeedLayerWithTheSeedsWeightShapes() {
        ComputationGraph graph = ScratchMlpGraph.fromScratch(ScratchMlp.create(new int[] {2, 64, 32, 4}, 1L));

        assertEquals(ScratchMlpGraph.INPUT, graph.getConfiguration().getNetworkInputs().get(0));
        assertEquals(ScratchMlpGraph.OUTPUT, graph.getConfiguration().getNetworkOutputs().get(0));
        assertArrayEquals(new long[] {2, 64}, graph.getLayer("dense0").getParam("W").shape());
        // DL4J 1.0.0-M2.1 stores b rank 1, not [1, nOut]
        assertArrayEquals(new long[] {64}, graph.getLayer("dense0").getParam("b").shape());
        assertArrayEquals(new long[] {64, 32}, graph.getLayer("dense1").getParam("W").shape());
        assertArrayEquals(new long[] {32, 4}, graph.getLayer("output").getParam("W").shape());
        assertEquals(2404, graph.numParams());
        assertArrayEquals(new int[] {2, 64, 32, 4}, ScratchMlpGraph.dims(graph));
        assertEquals(DataType.DOUBLE, graph.params().dataType());
    }

    @Test
    void copyingBetweenDifferentWidthsIsRejected() {
        ComputationGraph graph = ScratchMlpGraph.fromScratch(ScratchMlp.create(DIMS, 1L));
        ScratchMlp other = ScratchMlp.create(new int[] {2, 8, 4}, 1L);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScratchMlpGraph.copyWeights(other, graph));
        assertTrue(e.getMessage().contains("[2, 8, 4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ScratchMlpGraph.copyWeights(graph, other));
    }

    @Test
    void layerNamesMirrorTheSeedsLayerIndices() {
        assertEquals("dense0", ScratchMlpGraph.layerName(0, 3));
        assertEquals("dense1", ScratchMlpGraph.layerName(1, 3));
        assertEquals("output", ScratchMlpGraph.layerName(2, 3));
        assertThrows(IllegalArgumentException.class, () -> ScratchMlpGraph.layerName(3, 3));
    }
}
