package dev.kindling.core.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.optim.NetDefaults;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The check that a batched recurrent layer computes its DL4J twin: two stacked layers (so the first one's
 * gradients check the second one's input gradient) under an identity MSE output, the same parameters, inputs
 * and masks, NCW and NWC, in double precision (the caller's test runs under {@code DoublePrecision}).
 */
final class RecurrentTwins {
    static final int IN = 3;
    static final int H = 4;
    static final int T = 6;
    private static final String[] LAYERS = {"rec", "rec2"};
    private static final String[] PARAMS = {"W", "RW", "b"};

    /**
     * input [B, 3, 6] (or [B, 6, 3]) -> rec -> rec2 -> RnnOutputLayer (identity, MSE).
     *
     * @param layer the recurrent layer for (nIn, format)
     */
    static ComputationGraph net(RNNFormat format, BiFunction<Integer, RNNFormat, Layer> layer) {
        return net(format, layer, DataType.DOUBLE);
    }

    /** {@link #net(RNNFormat, BiFunction)} in another data type. */
    static ComputationGraph net(RNNFormat format, BiFunction<Integer, RNNFormat, Layer> layer, DataType type) {
        ComputationGraphConfiguration.GraphBuilder b = new NetDefaults(7, type, new NoOp(), 0).builder().graphBuilder()
                .addInputs("in").setInputTypes(InputType.recurrent(IN, format));
        String previous = "in";
        for (String name : LAYERS) {
            b.addLayer(name, layer.apply(previous.equals("in") ? IN : H, format), previous);
            previous = name;
        }
        ComputationGraph g = new ComputationGraph(b.addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY).nIn(H).nOut(2).dataFormat(format).build(), previous)
                .setOutputs("out").build());
        g.init();
        return g;
    }

    /** A [B, T] mask whose row i has its first lengths[i] steps real. */
    static INDArray mask(int... lengths) {
        INDArray m = Nd4j.zeros(DataType.DOUBLE, lengths.length, T);
        for (int i = 0; i < lengths.length; i++) {
            m.get(NDArrayIndex.point(i), NDArrayIndex.interval(0, lengths[i])).assign(1.0);
        }
        return m;
    }

    /**
     * Outputs, score and every parameter gradient of {@code dl4j} and {@code batched} agree (to 1e-12 and 1e-10)
     * without a mask and with two kinds of mask, for both formats.
     *
     * @param dl4j      the DL4J layer's net for a format
     * @param batched   the batched layer's net for a format
     * @param toBatched a DL4J parameter (or gradient) in the batched layer's layout
     */
    static void assertAgree(java.util.function.Function<RNNFormat, ComputationGraph> dl4j,
                            java.util.function.Function<RNNFormat, ComputationGraph> batched, UnaryOperator<INDArray> toBatched) {
        for (RNNFormat format : RNNFormat.values()) {
            ComputationGraph d = dl4j.apply(format);
            ComputationGraph k = batched.apply(format);
            for (String layer : LAYERS) {
                for (String p : PARAMS) {
                    k.getLayer(layer).setParam(p, toBatched.apply(d.getLayer(layer).getParam(p)));
                }
            }
            k.getLayer("out").setParams(d.getLayer("out").params().dup());
            long[] shape = format == RNNFormat.NCW ? new long[] {3, IN, T} : new long[] {3, T, IN};
            INDArray x = Nd4j.rand(DataType.DOUBLE, shape).subi(0.5);
            INDArray y = Nd4j.rand(DataType.DOUBLE, format == RNNFormat.NCW ? new long[] {3, 2, T} : new long[] {3, T, 2});
            for (INDArray m : new INDArray[] {null, mask(6, 4, 1), mask(2, 2, 2)}) {
                String what = format + (m == null ? " no mask" : " mask " + m);
                INDArray[] masks = m == null ? null : new INDArray[] {m};
                INDArray expected = d.output(false, new INDArray[] {x}, masks)[0];
                INDArray actual = k.output(false, new INDArray[] {x}, masks)[0];
                assertEquals(0, expected.distance2(actual), 1e-12, what);

                for (ComputationGraph g : new ComputationGraph[] {d, k}) {
                    g.setInputs(x);
                    g.setLabels(y);
                    g.setLayerMaskArrays(masks, masks);
                    g.computeGradientAndScore();
                }
                assertEquals(d.score(), k.score(), 1e-12, what);
                for (String layer : LAYERS) {
                    for (String p : PARAMS) {
                        INDArray e = toBatched.apply(d.gradient().getGradientFor(layer + "_" + p));
                        INDArray a = k.gradient().getGradientFor(layer + "_" + p);
                        assertTrue(e.amaxNumber().doubleValue() > 1e-6, what + ": " + layer + " " + p + " gradient is all zero");
                        assertEquals(0, e.distance2(a), 1e-10, what + ": gradient of " + layer + " " + p);
                    }
                }
            }
        }
    }

    private RecurrentTwins() {
    }
}
