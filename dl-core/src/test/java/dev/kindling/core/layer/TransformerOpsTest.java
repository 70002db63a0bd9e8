package dev.kindling.core.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where {@link TransformerOps} moves dropout's 1/(1-p) off the activations (onto V's weight block, onto the
 * feed-forward's second weight), the result is still inverted dropout: each output is linear in the keep mask, so
 * its mean over many draws is the output without dropout (a forgotten or doubled scale is off by 2x at p = 1/2).
 */
class TransformerOpsTest {
    private static final int B = 2, T = 5, C = 8, HEADS = 2, F = 12, MAX_BATCH = 3;
    private static final double P = 0.5;
    private static final int DRAWS = 2000;

    private static INDArray uniform(long... shape) {
        Nd4j.getRandom().setSeed(shape.length * 31L + shape[0]);
        return Nd4j.rand(DataType.DOUBLE, shape).subi(0.5);
    }

    /** The mean of {@code DRAWS} executions of {@code dropped} against {@code plain}, within 10% of plain's largest entry. */
    private static void assertMeanIsPlain(SDVariable dropped, SDVariable plain) {
        INDArray mean = dropped.eval().dup();
        for (int i = 1; i < DRAWS; i++) {
            mean.addi(dropped.eval());
        }
        mean.divi(DRAWS);
        INDArray expected = plain.eval();
        double gap = mean.sub(expected).amaxNumber().doubleValue();
        double scale = expected.amaxNumber().doubleValue();
        assertTrue(gap < 0.1 * scale, "max |mean over draws - without dropout| " + gap + " against " + scale);
        assertTrue(dropped.eval().sub(expected).amaxNumber().doubleValue() > 0.1 * scale, "one draw drops something");
    }

    private static SDVariable attention(SameDiff sd, double p, int maxBatch) {
        SDVariable x = sd.constant(uniform(B * T, C));
        return TransformerOps.attention(sd, x, sd.constant(uniform(C, 3 * C)), sd.constant(uniform(C, C)), T, HEADS, true, p, maxBatch,
                null, DataType.FLOAT);
    }

    @Test
    void attentionWithDropoutIsTheAttentionWithoutItOnAverage() {
        SameDiff sd = SameDiff.create();
        assertMeanIsPlain(attention(sd, P, MAX_BATCH), attention(sd, 0, MAX_BATCH));
    }

    @Test
    void feedForwardWithDropoutIsTheFeedForwardWithoutItOnAverage() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.constant(uniform(B * T, C));
        SDVariable ones = TransformerOps.onesColumn(sd, x, (long) MAX_BATCH * T);
        Function<Double, SDVariable> ff = p -> TransformerOps.feedForward(sd, x, sd.constant(uniform(C, F)), sd.constant(uniform(1, F)),
                sd.constant(uniform(F, C)), sd.constant(uniform(1, C)), p, (long) MAX_BATCH * T, ones, DataType.FLOAT);
        assertMeanIsPlain(ff.apply(P), ff.apply(0.0));
    }

    @Test
    void theCausalMaskCutFromTheLargestBatchAddsWhatTheBroadcastMaskAdds() {
        SameDiff sd = SameDiff.create();
        // a batch of 2 under a bound of 3: the constant mask is cut to the scores' shape
        assertArrayEquals(attention(sd, 0, 0).eval().ravel().toDoubleVector(), attention(sd, 0, MAX_BATCH).eval().ravel().toDoubleVector());
    }
}
