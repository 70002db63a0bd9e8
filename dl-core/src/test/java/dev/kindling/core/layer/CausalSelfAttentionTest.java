package dev.kindling.core.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import java.io.File;
import java.nio.file.Path;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

@ExtendWith(DoublePrecision.class)
class CausalSelfAttentionTest {
    private static final int C = 4, H = 2, T = 3, B = 2;

    /** in [B, C, T] -> attn -> optional softmax output over 3 classes per step. */
    private static ComputationGraph net(boolean causal, boolean withOutput) {
        var g = new NeuralNetConfiguration.Builder().seed(42).dataType(DataType.DOUBLE).updater(new NoOp())
                .graphBuilder().addInputs("in").setInputTypes(InputType.recurrent(C, T))
                .addLayer("attn", new CausalSelfAttention(C, H, causal), "in");
        if (withOutput) {
            g.addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                    .nIn(C).nOut(3).build(), "attn").setOutputs("out");
        } else {
            g.setOutputs("attn");
        }
        ComputationGraphConfiguration conf = g.build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        // larger than the N(0, 0.02) init so the softmax is far from uniform and the check is sharp
        net.getLayer("attn").getParam(CausalSelfAttention.QKV).muli(25);
        net.getLayer("attn").getParam(CausalSelfAttention.PROJ).muli(25);
        return net;
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void gradientsMatchFiniteDifferences(boolean causal) {
        ComputationGraph net = net(causal, true);
        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.randn(DataType.DOUBLE, B, C, T);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, B, 3, T);
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                y.putScalar(b, (b + t) % 3, t, 1.0);
            }
        }
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {x}).labels(new INDArray[] {y})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).exitOnFirstError(false)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
        assertTrue(ok, "gradient check failed (causal=" + causal + "); see the log");
    }

    @Test
    void changingALaterTokenLeavesEarlierOutputsUnchanged() {
        ComputationGraph net = net(true, false);
        INDArray x = Nd4j.randn(DataType.DOUBLE, B, C, T);
        INDArray before = net.outputSingle(x.dup());
        INDArray changed = x.dup();
        changed.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(2)).addi(3.0);
        INDArray after = net.outputSingle(changed);
        assertEquals(before.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 2)),
                after.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 2)));
        assertNotEquals(before.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(2)),
                after.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(2)));
        // without the mask the first position does see the last one
        ComputationGraph bidirectional = net(false, false);
        assertNotEquals(bidirectional.outputSingle(x.dup()).get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(0)),
                bidirectional.outputSingle(changed).get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(0)));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void equalsAPlainLoopComputation(boolean causal) {
        ComputationGraph net = net(causal, false);
        INDArray x = Nd4j.randn(DataType.DOUBLE, B, C, T);
        double[][] wqkv = net.getLayer("attn").getParam(CausalSelfAttention.QKV).toDoubleMatrix(); // [C, 3C]
        double[][] wproj = net.getLayer("attn").getParam(CausalSelfAttention.PROJ).toDoubleMatrix(); // [C, C]
        INDArray actual = net.outputSingle(x);
        int d = C / H;
        for (int b = 0; b < B; b++) {
            double[][] q = new double[T][C], k = new double[T][C], v = new double[T][C];
            for (int t = 0; t < T; t++) {
                for (int o = 0; o < C; o++) {
                    for (int i = 0; i < C; i++) {
                        double xi = x.getDouble(b, i, t);
                        q[t][o] += xi * wqkv[i][o];
                        k[t][o] += xi * wqkv[i][C + o];
                        v[t][o] += xi * wqkv[i][2 * C + o];
                    }
                }
            }
            double[][] heads = new double[T][C];
            for (int h = 0; h < H; h++) {
                for (int t = 0; t < T; t++) {
                    int last = causal ? t : T - 1;
                    double[] s = new double[last + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int u = 0; u <= last; u++) {
                        for (int j = 0; j < d; j++) {
                            s[u] += q[t][h * d + j] * k[u][h * d + j];
                        }
                        s[u] /= Math.sqrt(d);
                        max = Math.max(max, s[u]);
                    }
                    double z = 0;
                    for (int u = 0; u <= last; u++) {
                        s[u] = Math.exp(s[u] - max);
                        z += s[u];
                    }
                    for (int u = 0; u <= last; u++) {
                        for (int j = 0; j < d; j++) {
                            heads[t][h * d + j] += s[u] / z * v[u][h * d + j];
                        }
                    }
                }
            }
            for (int t = 0; t < T; t++) {
                for (int o = 0; o < C; o++) {
                    double expected = 0;
                    for (int i = 0; i < C; i++) {
                        expected += heads[t][i] * wproj[i][o];
                    }
                    assertEquals(expected, actual.getDouble(b, o, t), 1e-10, "b=" + b + " o=" + o + " t=" + t);
                }
            }
        }
    }

    @Test
    void savedAndRestoredLayerGivesIdenticalOutputs(@TempDir Path dir) throws Exception {
        ComputationGraph net = net(true, false);
        INDArray x = Nd4j.randn(DataType.DOUBLE, B, C, T);
        File file = dir.resolve("attn.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
        assertEquals(net.outputSingle(x), restored.outputSingle(x));
    }

    @Test
    void rejectsHeadCountThatDoesNotDivideWidth() {
        var e = assertThrows(IllegalArgumentException.class, () -> new CausalSelfAttention(6, 4, true));
        assertTrue(e.getMessage().contains("size=6, heads=4"), e.getMessage());
    }
}
