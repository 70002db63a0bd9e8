package dev.kindling.core.layer;

import static dev.kindling.core.layer.RecurrentTwins.H;
import static dev.kindling.core.layer.RecurrentTwins.IN;
import static dev.kindling.core.layer.RecurrentTwins.T;
import static dev.kindling.core.layer.RecurrentTwins.mask;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link BatchedLstm} in float, its steps in {@link LstmCellSteps}' loops, computes what the same layer computes in
 * double with ND4J's operations (which {@code BatchedLstmTest} holds equal to DL4J's LSTM), to float precision; and
 * the loops do run (their tanh is not the operations', so the float results differ from the float operations' in the
 * last bits).
 */
class LstmCellStepsTest {
    /** Float against double: relative distance of every output and gradient. */
    private static final double FLOAT_TOLERANCE = 1e-5;

    private static ComputationGraph net(RNNFormat format, DataType type) {
        return RecurrentTwins.net(format, (nIn, f) -> BatchedLstm.of(new LSTM.Builder().nIn(nIn).nOut(H)
                .activation(Activation.TANH).dataFormat(f).build()), type);
    }

    /** Output and every parameter gradient (name -> array) of one forward and backward pass. */
    private static Map<String, INDArray> pass(ComputationGraph g, INDArray x, INDArray y, INDArray m, boolean loops) {
        boolean before = LstmCellSteps.enabled;
        LstmCellSteps.enabled = loops;
        try {
            DataType type = g.params().dataType();
            INDArray[] masks = m == null ? null : new INDArray[] {m.castTo(type)};
            Map<String, INDArray> out = new LinkedHashMap<>();
            out.put("output", g.output(false, new INDArray[] {x.castTo(type)}, masks)[0].castTo(DataType.DOUBLE));
            g.setInputs(x.castTo(type));
            g.setLabels(y.castTo(type));
            g.setLayerMaskArrays(masks, masks);
            g.computeGradientAndScore();
            g.gradient().gradientForVariable().forEach((k, v) -> out.put(k, v.castTo(DataType.DOUBLE)));
            return out;
        } finally {
            LstmCellSteps.enabled = before;
        }
    }

    @Test
    void floatLoopsComputeTheDoubleLayerToFloatPrecision() {
        for (RNNFormat format : RNNFormat.values()) {
            ComputationGraph exact = net(format, DataType.DOUBLE);
            ComputationGraph single = net(format, DataType.FLOAT);
            single.setParams(exact.params().castTo(DataType.FLOAT));
            long[] shape = format == RNNFormat.NCW ? new long[] {3, IN, T} : new long[] {3, T, IN};
            INDArray x = Nd4j.rand(DataType.DOUBLE, shape).subi(0.5).muli(4);   // gates well into the nonlinearities
            INDArray y = Nd4j.rand(DataType.DOUBLE, format == RNNFormat.NCW ? new long[] {3, 2, T} : new long[] {3, T, 2});
            for (INDArray m : new INDArray[] {null, mask(6, 4, 1)}) {
                String what = format + (m == null ? " no mask" : " mask " + m);
                Map<String, INDArray> expected = pass(exact, x, y, m, true);
                Map<String, INDArray> loops = pass(single, x, y, m, true);
                Map<String, INDArray> ops = pass(single, x, y, m, false);
                boolean differ = false;
                for (String k : expected.keySet()) {
                    INDArray e = expected.get(k);
                    assertTrue(e.norm2Number().doubleValue() > 1e-6, what + ": " + k + " is all zero");
                    double relative = e.distance2(loops.get(k)) / e.norm2Number().doubleValue();
                    assertTrue(relative < FLOAT_TOLERANCE, what + ": " + k + " off by " + relative + " relative");
                    differ |= loops.get(k).distance2(ops.get(k)) > 0;
                }
                assertTrue(differ, what + ": float results bit-equal to the operations': the loops did not run");
            }
        }
    }
}
