package dev.kindling.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.data.ImageShape;
import dev.kindling.core.layer.ProductStatsBatchNorm;
import dev.kindling.core.layer.SlicedBackpropConvolution;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's oneDNN layer helpers, enabled by Kindling's JVM flags (surefire runs with them), are really
 * used, and compute what DL4J's built-in layers compute (batch norm: {@link ProductStatsBatchNorm}'s
 * batch statistics with oneDNN's normalisation, running statistics included).
 */
class NativeHelpersTest {

    private static ComputationGraph smallCnn(boolean helpers) {
        String before = System.getProperty(NativeHelpers.DISABLE_PROPERTY);
        System.setProperty(NativeHelpers.DISABLE_PROPERTY, Boolean.toString(!helpers));
        try {
            NetDefaults d = NetDefaults.adamW(5, DataType.FLOAT, CosineAnnealing.tutorial(), 5e-4);
            ComputationGraph g = new ComputationGraph(
                    SmallCnn.configure(SmallCnn.Spec.seed(new ImageShape(1, 12, 12), true, 4, 0.0, 0.1), d));
            g.init();
            return g;
        } finally {
            if (before == null) {
                System.clearProperty(NativeHelpers.DISABLE_PROPERTY);
            } else {
                System.setProperty(NativeHelpers.DISABLE_PROPERTY, before);
            }
        }
    }

    @Test
    void kindlingsJvmFlagsTurnOffJavaCppsPerAllocationMemoryCheck() {
        assertEquals(0, org.bytedeco.javacpp.Pointer.maxPhysicalBytes(),
                "run with " + NativeHelpers.jvmOptions() + " (Kindling's JVM flags): JavaCPP reads the resident size on every allocation");
        assertTrue(org.bytedeco.javacpp.Pointer.maxBytes() > 0, "off-heap memory stays bounded by maxbytes");
    }

    @Test
    void kindlingsJvmFlagsGiveConvolutionBatchNormAndPoolingTheirOneDnnHelpers() {
        assertTrue(NativeHelpers.active(), "run with " + NativeHelpers.jvmOptions() + " (Kindling's JVM flags)");
        ComputationGraph g = smallCnn(true);
        // DL4J's oneDNN convolution helper, wrapped by Kindling's for the backward pass in slices
        SlicedBackpropConvolution.Sliced conv = assertInstanceOf(SlicedBackpropConvolution.Sliced.class, g.getLayer("block1_conv").getHelper());
        assertInstanceOf(MKLDNNConvHelper.class, conv.dl4j());
        // DL4J's oneDNN batch-norm helper, wrapped by Kindling's for the batch statistics
        assertInstanceOf(ProductStatsBatchNorm.Stats.class, g.getLayer("block1_bn").getHelper());
        assertInstanceOf(MKLDNNSubsamplingHelper.class, g.getLayer("pool1").getHelper());
        assertNull(smallCnn(false).getLayer("block1_conv").getHelper());
    }

    @Test
    void oneDnnOutputsAndGradientsEqualDl4jsOwnLayers() throws ReflectiveOperationException {
        ComputationGraph native_ = smallCnn(true);
        ComputationGraph builtIn = smallCnn(false);
        builtIn.setParams(native_.params().dup());
        // 70 examples: the convolutions' backward passes run in slices of 32, 32 and 6
        int n = 2 * SlicedBackpropConvolution.SLICE + 6;
        INDArray x = Nd4j.rand(DataType.FLOAT, n, 144).subi(0.5);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, 4);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, i % 4, 1);
        }
        // inference (running statistics) and training mode (batch statistics)
        assertClose(builtIn.outputSingle(false, x), native_.outputSingle(false, x), 1e-4, "inference output");
        assertClose(builtIn.outputSingle(true, x), native_.outputSingle(true, x), 1e-4, "training output");

        native_.setInputs(x);
        native_.setLabels(y);
        native_.computeGradientAndScore();
        builtIn.setInputs(x);
        builtIn.setLabels(y);
        builtIn.computeGradientAndScore();
        assertEquals(builtIn.score(), native_.score(), 1e-5);
        // a helper that throws is dropped silently: DL4J logs it and runs its built-in path from then on
        java.lang.reflect.Field failures = org.deeplearning4j.nn.layers.convolution.ConvolutionLayer.class.getDeclaredField("helperCountFail");
        failures.setAccessible(true);
        assertEquals(0, failures.getInt(native_.getLayer("block1_conv")), "the convolution helper failed and DL4J fell back");
        Map<String, INDArray> expected = builtIn.gradient().gradientForVariable();
        Map<String, INDArray> actual = native_.gradient().gradientForVariable();
        assertEquals(expected.keySet(), actual.keySet());
        for (String p : expected.keySet()) {
            assertClose(expected.get(p), actual.get(p), 1e-3, "gradient of " + p);
        }
    }

    /** Largest absolute difference relative to the largest magnitude of the expected values. */
    private static void assertClose(INDArray expected, INDArray actual, double tolerance, String what) {
        double scale = Math.max(expected.amaxNumber().doubleValue(), 1e-6);
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff / scale <= tolerance, what + ": max |diff| " + diff + " against max |value| " + scale);
    }
}
