package dev.kindling.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import dev.kindling.core.DoublePrecision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;

@ExtendWith(DoublePrecision.class)
class GlobalNormClippingTest {
    private static final double LR = 0.1;
    private static ComputationGraph sgdNet() {
        return TinyNet.build(b -> b.updater(new Sgd(LR)));
    }

    @Test
    void scalesTheWholeMeanGradientToMaxNormWhenItIsLonger() {
        ComputationGraph net = sgdNet();
        DataSet data = TinyNet.data();
        INDArray p0 = net.params().dup().reshape(-1);
        INDArray g = TinyNet.meanGradient(net, data);
        double norm = g.norm2Number().doubleValue();
        double maxNorm = norm / 4;
        GlobalNormClipping clipping = new GlobalNormClipping(maxNorm);
        net.addListeners(clipping);

        net.fit(data);

        INDArray expected = p0.sub(g.mul(LR * maxNorm / (norm + GlobalNormClipping.NORM_EPS)));
        assertEquals(0.0, net.params().reshape(-1).sub(expected).amaxNumber().doubleValue(), 1e-9);
        assertEquals(norm, clipping.lastNorm(), 1e-12);
    }

    @Test
    void leavesTrainingUnchangedWhenTheNormIsBelowMaxNorm() {
        DataSet data = TinyNet.data();
        ComputationGraph plain = sgdNet();
        ComputationGraph clipped = sgdNet();
        GlobalNormClipping clipping = new GlobalNormClipping(1e6);
        clipped.addListeners(clipping);

        for (int i = 0; i < 3; i++) {
            plain.fit(data);
            clipped.fit(data);
        }

        assertEquals(plain.params(), clipped.params());
        assertTrue(clipping.lastNorm() > 0 && clipping.lastNorm() < 1e6, "lastNorm=" + clipping.lastNorm());
    }

    @Test
    void squaredNormOfFloatViewsIsCloseToTheDoubleValue() {
        INDArray flat = Nd4j.rand(DataType.FLOAT, 1, 200_011);
        INDArray contiguous = flat.get(NDArrayIndex.all(), NDArrayIndex.interval(7, 200_007)); // offset view
        INDArray strided = flat.reshape(1, 200_011).get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 200_011));
        for (INDArray v : new INDArray[] {contiguous, strided}) {
            double exact = v.castTo(DataType.DOUBLE).norm2Number().doubleValue();
            double got = GlobalNormClipping.squaredNorm(v);
            // BLAS dot on the contiguous view; ND4J's float norm2 (1.7e-5 off here) on the strided one
            assertEquals(1.0, got / (exact * exact), v == contiguous ? 1e-6 : 1e-4, "ews " + v.elementWiseStride());
        }
    }

    @Test
    void clipCoefficientIsPyTorchsClampedRatio() {
        assertEquals(1.0, GlobalNormClipping.clipCoefficient(0.5, 1.0), 0.0);
        assertEquals(1.0 / (4.0 + 1e-6), GlobalNormClipping.clipCoefficient(4.0, 1.0), 0.0);
    }

    @Test
    void isJavaSerializableForSpark() throws Exception {
        try (ObjectOutputStream out = new ObjectOutputStream(new ByteArrayOutputStream())) {
            out.writeObject(new GlobalNormClipping(1.0));
        }
    }
}
