package dev.kindling.core.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.model.Head;
import dev.kindling.core.model.Mlp;
import dev.kindling.core.model.SmallCnn;
import dev.kindling.core.optim.AdamW;
import dev.kindling.core.optim.GlobalNormClipping;
import dev.kindling.core.optim.NetDefaults;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class MixedPrecisionTest {
    static final long SEED = 11;

    /** The MLP as its five DL4J layers ({@link Mlp.Form#LAYERS}): the dense layers {@link HalfPrecision} wraps. */
    static ComputationGraphConfiguration mlp(Precision precision) {
        ComputationGraphConfiguration conf = mlpConf(Mlp.Form.LAYERS);
        MixedPrecision.apply(conf, precision, "mlp");
        return conf;
    }

    static ComputationGraphConfiguration mlpConf(Mlp.Form form) {
        return Mlp.configure(new Mlp.Spec(16, 32, 3, Head.SOFTMAX, 0.0),
                new NetDefaults(SEED, DataType.FLOAT, AdamW.adam(new org.nd4j.linalg.schedule.FixedSchedule(1e-2)), 1e-4), form);
    }

    /** The MLP's trunk (what `mlp` trains) rounds its own products' operands; bf16 from the same parameters tracks fp32. */
    @Test
    void theMlpTrunkTakesBf16MatmulOperands() {
        ComputationGraphConfiguration bf16 = mlpConf(Mlp.Form.TRUNK);
        assertEquals(List.of(Mlp.TRUNK), MixedPrecision.apply(bf16, Precision.BF16, "mlp"));
        ComputationGraph f = initialised(mlpConf(Mlp.Form.TRUNK));
        ComputationGraph b = initialisedLike(bf16, f);
        INDArray x = blobs(8, 2).getFeatures();
        double gap = f.outputSingle(x).sub(b.outputSingle(x)).amaxNumber().doubleValue();
        assertTrue(gap > 0 && gap < 1e-2, "probabilities fp32 against bf16 operands: " + gap);
        DataSet noisy = blobs(48, 3);
        for (int i = 0; i < 48; i += 4) { // a quarter of the labels moved to the next class: the loss stays well above 0
            noisy.getLabels().putRow(i, Nd4j.zeros(DataType.FLOAT, 1, 3).putScalar(0, (i % 3 + 1) % 3, 1));
        }
        assertHalfTracksFp32(f, b, noisy, 0.9);
    }

    static ComputationGraph net(ComputationGraphConfiguration conf) {
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        net.setListeners(new LossScaling(), new GlobalNormClipping(1.0));
        return net;
    }

    /** Three Gaussian blobs in 16 dimensions: learnable in a few dozen steps. */
    static DataSet blobs(int n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(DataType.FLOAT, n, 16);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, 3);
        for (int i = 0; i < n; i++) {
            int c = i % 3;
            y.putScalar(i, c, 1);
            x.getRow(i).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(c * 4, c * 4 + 4)).addi(2.0);
        }
        return new DataSet(x, y);
    }

    @Test
    void denseAndConvolutionLayersAreWrappedAndEverythingElseStaysFp32() {
        assertEquals(List.of(), MixedPrecision.apply(mlp(Precision.FP32), Precision.FP32, "mlp"));
        ComputationGraphConfiguration mlp = mlpConf(Mlp.Form.LAYERS);
        assertEquals(List.of("fc1", "fc2"), MixedPrecision.apply(mlp, Precision.FP16, "mlp").stream().sorted().toList());
        ComputationGraphConfiguration cnn = SmallCnn.configure(SmallCnn.Spec.tiny(),
                new NetDefaults(SEED, DataType.FLOAT, AdamW.adam(new org.nd4j.linalg.schedule.FixedSchedule(1e-3)), 0));
        List<String> wrapped = MixedPrecision.apply(cnn, Precision.BF16, "small-cnn");
        assertTrue(wrapped.stream().anyMatch(n -> n.endsWith("_conv")) && wrapped.contains("fc1"), wrapped.toString());
        ComputationGraph net = net(mlp);
        assertEquals(DataType.FLOAT, net.params().dataType());
        assertEquals(DataType.FLOAT, net.getUpdater().getStateViewArray().dataType());
    }

    @Test
    void fp16OutputsAndGradientsAreCloseToFp32() {
        ComputationGraph fp32 = net(mlp(Precision.FP32));
        ComputationGraph fp16 = net(mlp(Precision.FP16));
        fp16.params().assign(fp32.params());
        assertAgree(fp32, fp16, blobs(24, 3));
        assertEquals(DataType.FLOAT, fp16.gradient().gradient().dataType());
    }

    /** Same outputs within 5e-3 and the same gradient within 1% (relative L2) on {@code d}. */
    static void assertAgree(ComputationGraph reference, ComputationGraph other, DataSet d) {
        INDArray a = reference.outputSingle(d.getFeatures());
        INDArray b = other.outputSingle(d.getFeatures());
        assertTrue(a.sub(b).amaxNumber().doubleValue() < 5e-3, "outputs differ by " + a.sub(b).amaxNumber());
        for (ComputationGraph g : List.of(reference, other)) {
            g.setInputs(d.getFeatures());
            g.setLabels(d.getLabels());
            g.computeGradientAndScore();
        }
        INDArray ga = reference.gradient().gradient();
        double rel = ga.sub(other.gradient().gradient()).norm2Number().doubleValue() / ga.norm2Number().doubleValue();
        assertTrue(rel < 1e-2, "relative gradient difference " + rel);
    }

    @Test
    void anOverflowSkipsTheStepAndHalvesTheScale() {
        ComputationGraphConfiguration conf = Mlp.configure(new Mlp.Spec(16, 32, 3, Head.SOFTMAX, 0.0),
                new NetDefaults(SEED, DataType.FLOAT, AdamW.adam(new org.nd4j.linalg.schedule.FixedSchedule(1e-2)), 1e-4));
        double huge = Math.pow(2, 40); // the scaled gradient of any example exceeds fp16's 65504
        MixedPrecision.apply(conf, Precision.FP16, "mlp", huge);
        ComputationGraph net = net(conf);
        DataSet d = blobs(24, 5);
        INDArray params = net.params().dup();
        INDArray updaterState = net.getUpdater().getStateViewArray().dup();
        net.fit(d);
        DynamicLossScale state = LossScaling.stateOf(net);
        assertEquals(params, net.params(), "a skipped step leaves the parameters bit-identical");
        assertEquals(updaterState, net.getUpdater().getStateViewArray(), "and the updater state");
        assertEquals(1, state.skipped());
        assertTrue(state.lastSkipped());
        assertEquals(huge / 2, state.scale());
        halfLayers(net).forEach(l -> assertEquals(huge / 2, l.lossScale().get()));
        int fits = 1;
        while (state.lastSkipped()) {
            net.fit(d);
            fits++;
        }
        assertNotEquals(params, net.params(), "the first clean step moves the parameters");
        assertEquals(fits - 1, state.skipped(), "every step before it was skipped");
        assertEquals(huge / Math.pow(2, fits - 1), state.scale(), "and halved the scale");
        assertTrue(state.scale() >= 1024 && state.scale() <= Math.pow(2, 24), "it settles where fp16 holds the gradients: " + state.scale());
    }

    @Test
    void fp16AndBf16TrainLikeFp32() {
        DataSet train = blobs(96, 7);
        DataSet test = blobs(48, 8);
        double[] losses = new double[3];
        Precision[] ps = {Precision.FP32, Precision.FP16, Precision.BF16};
        for (int i = 0; i < ps.length; i++) {
            ComputationGraph net = net(mlp(ps[i]));
            for (int step = 0; step < 40; step++) {
                net.fit(train);
            }
            losses[i] = net.score(test);
        }
        assertTrue(losses[0] < 0.2, "fp32 learns the blobs: " + losses[0]);
        assertTrue(Math.abs(losses[1] - losses[0]) < 0.02 + 0.02 * losses[0], "fp16 " + losses[1] + " vs fp32 " + losses[0]);
        assertTrue(Math.abs(losses[2] - losses[0]) < 0.05 + 0.05 * losses[0], "bf16 " + losses[2] + " vs fp32 " + losses[0]);
    }

    @Test
    void smallCnnInFp16AndBf16MatchesFp32() {
        SmallCnn.Spec spec = new SmallCnn.Spec(new dev.kindling.core.data.ImageShape(1, 12, 12), false, new int[] {4, 8, 8, 8, 16}, 8, 3,
                0.0, 0.1);
        Nd4j.getRandom().setSeed(13);
        INDArray x = Nd4j.rand(DataType.FLOAT, 16, 1, 12, 12);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 16, 3);
        for (int i = 0; i < 16; i++) {
            y.putScalar(i, i % 3, 1);
            x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(4 * (i % 3), 4 * (i % 3) + 4)).addi(1.0); // a learnable band
        }
        DataSet d = new DataSet(x, y);
        ComputationGraph fp32 = null;
        INDArray start = null;
        INDArray g32 = null;
        double trained32 = Double.NaN;
        for (Precision p : Precision.values()) {
            ComputationGraphConfiguration conf = SmallCnn.configure(spec,
                    new NetDefaults(SEED, DataType.FLOAT, AdamW.adam(new org.nd4j.linalg.schedule.FixedSchedule(1e-2)), 5e-4));
            MixedPrecision.apply(conf, p, "small-cnn");
            ComputationGraph net = net(conf);
            if (start == null) {
                start = net.params().dup();
            }
            net.params().assign(start);
            net.setInputs(x);
            net.setLabels(y);
            net.computeGradientAndScore();
            INDArray g = net.gradient().gradient().dup();
            for (int i = 0; i < 10; i++) {
                net.fit(d);
            }
            double trained = net.score(d, true); // training mode: batch statistics, as the steps saw them
            if (p == Precision.FP32) {
                g32 = g;
                trained32 = trained;
                assertTrue(trained < 0.9, "fp32 fits the batch: " + trained);
                continue;
            }
            double rel = g32.sub(g).norm2Number().doubleValue() / g32.norm2Number().doubleValue();
            double tolerance = p == Precision.FP16 ? 5e-2 : 2e-1; // bf16 keeps 8 bits of mantissa, fp16 11; BatchNorm amplifies
            assertTrue(rel < tolerance, p + ": relative gradient difference " + rel);
            DynamicLossScale state = LossScaling.stateOf(net);
            assertTrue(Math.abs(trained - trained32) < 0.05 + 0.05 * trained32, p + ": loss after 10 steps " + trained + " vs fp32 "
                    + trained32 + (state == null ? "" : " (skipped " + state.skipped() + ", scale " + state.scale() + ")"));
        }
    }

    @Test
    void nativeHalfKernelsAndCpuRoundingAgree() {
        ComputationGraph emulated = net(mlp(Precision.FP16));
        assertEquals(DataType.FLOAT, halfLayers(emulated).get(0).arithmetic(), "the CPU backend rounds, fp32 arithmetic");
        ComputationGraph nativeHalf;
        System.setProperty("kindling.half.native", "true");
        try {
            nativeHalf = net(mlp(Precision.FP16));
        } finally {
            System.clearProperty("kindling.half.native");
        }
        assertEquals(DataType.HALF, halfLayers(nativeHalf).get(0).arithmetic(), "the GPU path: ND4J's HALF kernels");
        nativeHalf.params().assign(emulated.params());
        assertAgree(emulated, nativeHalf, blobs(12, 4));
    }

    @Test
    void configurationAndModelRoundTrip() throws Exception {
        ComputationGraphConfiguration conf = mlp(Precision.FP16);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        ComputationGraph net = net(conf);
        net.fit(blobs(24, 9));
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        org.deeplearning4j.util.ModelSerializer.writeModel(net, bytes, true);
        ComputationGraph loaded = org.deeplearning4j.util.ModelSerializer.restoreComputationGraph(
                new java.io.ByteArrayInputStream(bytes.toByteArray()), true);
        INDArray x = blobs(6, 10).getFeatures();
        assertEquals(net.outputSingle(x), loaded.outputSingle(x));
        assertEquals(2, halfLayers(loaded).size());
    }

    @Test
    void theScaleGrowsAfter2000CleanStepsAndGivesUpAfter64Overflows() {
        DynamicLossScale s = new DynamicLossScale(DynamicLossScale.INITIAL);
        for (int i = 0; i < DynamicLossScale.GROWTH_INTERVAL - 1; i++) {
            assertFalse(s.record(true));
        }
        assertEquals(65536.0, s.scale());
        s.record(true);
        assertEquals(131072.0, s.scale());
        assertTrue(s.record(false));
        assertEquals(65536.0, s.scale());
        assertEquals(0, s.cleanSteps());
        for (int i = 1; i < DynamicLossScale.MAX_CONSECUTIVE_SKIPS - 1; i++) {
            s.record(false);
        }
        assertThrows(DynamicLossScale.NotFinite.class, () -> s.record(false));
    }

    @Test
    void theGptTakesBf16MatmulOperands() {
        ComputationGraphConfiguration bf16 = gptConf();
        assertEquals(List.of(dev.kindling.core.model.Gpt.OUTPUT), MixedPrecision.apply(bf16, Precision.BF16, "gpt"));
        ComputationGraphConfiguration restored = ComputationGraphConfiguration.fromJson(bf16.toJson());
        var layer = (dev.kindling.core.layer.HalfPrecisionMatmuls) ((org.deeplearning4j.nn.conf.graph.LayerVertex) restored.getVertices()
                .get(dev.kindling.core.model.Gpt.OUTPUT)).getLayerConf().getLayer();
        assertEquals(DataType.BFLOAT16, layer.getMatmuls(), "saved with the configuration");

        // the same initial parameters and tokens: bf16 operands move the loss by rounding, not more; 20 Adam steps
        // lower it about as far as in fp32
        ComputationGraph f = initialised(gptConf());
        assertHalfTracksFp32(f, initialisedLike(bf16, f), nextTokens(), 0.7);
    }

    /** Token ids [4, 6] and their next tokens: a learnable sequence, next = current + 1 (mod 7). */
    static DataSet nextTokens() {
        INDArray x = Nd4j.zeros(DataType.FLOAT, 4, 6);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 4, 6);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 6; j++) {
                x.putScalar(i, j, (i + j) % 7);
                y.putScalar(i, j, (i + j + 1) % 7);
            }
        }
        return new DataSet(x, y);
    }

    /** A net of {@code conf}, initialised. */
    static ComputationGraph initialised(ComputationGraphConfiguration conf) {
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    /** A net of {@code conf} (the same model in half precision) starting from {@code like}'s parameters. */
    static ComputationGraph initialisedLike(ComputationGraphConfiguration conf, ComputationGraph like) {
        ComputationGraph net = initialised(conf);
        net.params().assign(like.params());
        return net;
    }

    /**
     * From the same parameters {@code b} (bf16 or fp16 operands) starts within 1% of {@code f}'s (fp32) loss but not at it,
     * both lower it below {@code learned} of its start in 20 steps, and end within 5% of each other.
     */
    static void assertHalfTracksFp32(ComputationGraph f, ComputationGraph b, DataSet ds, double learned) {
        double f0 = f.score(ds);
        double b0 = b.score(ds);
        assertTrue(f0 != b0 && Math.abs(f0 - b0) < 1e-2 * f0, "first loss fp32 " + f0 + ", half " + b0);
        for (int step = 0; step < 20; step++) {
            f.fit(ds);
            b.fit(ds);
        }
        double f20 = f.score(ds);
        double b20 = b.score(ds);
        assertTrue(f20 < learned * f0 && b20 < learned * b0, "both learn: fp32 " + f0 + " -> " + f20 + ", half " + b0 + " -> " + b20);
        assertTrue(Math.abs(f20 - b20) < 0.05 * f20, "after 20 steps fp32 " + f20 + ", half " + b20);
    }

    @Test
    void theEncoderClassifierTakesBf16MatmulOperands() {
        NetDefaults d = new NetDefaults(SEED, DataType.FLOAT, AdamW.adam(new org.nd4j.linalg.schedule.FixedSchedule(1e-2)), 0);
        var spec = dev.kindling.core.model.EncoderClassifier.Spec.tiny();
        ComputationGraphConfiguration bf16 = dev.kindling.core.model.EncoderClassifier.configure(spec, 5, 4, d);
        assertEquals(List.of(dev.kindling.core.model.EncoderClassifier.OUTPUT), MixedPrecision.apply(bf16, Precision.BF16, "encoder-classifier"));
        ComputationGraph f = initialised(dev.kindling.core.model.EncoderClassifier.configure(spec, 5, 4, d));
        ComputationGraph b = initialisedLike(bf16, f);
        INDArray x = Nd4j.createFromArray(new float[][] {{1, 2, 3, 4, 5}, {5, 4, 3, 2, 1}, {2, 2, 3, 3, 1}, {4, 1, 1, 2, 5}});
        INDArray y = Nd4j.zeros(DataType.FLOAT, 4, spec.classes());
        for (int i = 0; i < 4; i++) {
            y.putScalar(i, i % spec.classes(), 1);
        }
        INDArray pf = f.outputSingle(x);
        INDArray pb = b.outputSingle(x);
        double gap = pf.sub(pb).amaxNumber().doubleValue();
        assertTrue(gap > 0 && gap < 1e-2, "probabilities fp32 against bf16 operands: " + gap);
        b.fit(new DataSet(x, y));
        assertTrue(Double.isFinite(b.score()), "a bf16 step trains");
    }

    static ComputationGraphConfiguration gptConf() {
        return dev.kindling.core.model.Gpt.configure(dev.kindling.core.model.Gpt.Spec.tiny(), 6, 4,
                new NetDefaults(SEED, DataType.FLOAT, AdamW.adam(new org.nd4j.linalg.schedule.FixedSchedule(1e-2)), 0));
    }

    @Test
    void theRecurrentLayersTakeBf16MatmulOperandsAndAModelWithoutSuchLayersIsRejectedByName() {
        NetDefaults d = new NetDefaults(SEED, DataType.FLOAT, AdamW.adam(new org.nd4j.linalg.schedule.FixedSchedule(1e-2)), 0);
        var spec = dev.kindling.core.model.LstmClassifier.Spec.tiny();
        ComputationGraphConfiguration bf16 = dev.kindling.core.model.LstmClassifier.configure(spec, d);
        List<String> half = MixedPrecision.apply(bf16, Precision.BF16, "lstm-classifier");
        assertTrue(half.contains("fc1") && half.contains("lstm0_fwd") && half.contains("lstm1_bwd_rev"), half.toString());
        var lstm = (dev.kindling.core.layer.HalfPrecisionMatmuls) ((org.deeplearning4j.nn.conf.graph.LayerVertex) ComputationGraphConfiguration
                .fromJson(bf16.toJson()).getVertices().get("lstm0_fwd")).getLayerConf().getLayer();
        assertEquals(DataType.BFLOAT16, lstm.getMatmuls(), "saved with the configuration");

        // the same parameters and sequences: bf16 operands move the loss by rounding; 20 Adam steps learn as far
        ComputationGraph f = initialised(dev.kindling.core.model.LstmClassifier.configure(spec, d));
        assertHalfTracksFp32(f, initialisedLike(bf16, f), firstFeatureSign(spec.inputs(), spec.classes()), 0.9);

        var rnnSpec = dev.kindling.core.model.VanillaRnn.Spec.tiny();
        ComputationGraphConfiguration rnn = dev.kindling.core.model.VanillaRnn.configure(rnnSpec, d);
        assertEquals(List.of("rnn"), MixedPrecision.apply(rnn, Precision.BF16, "vanilla-rnn"));
        ComputationGraph rf = initialised(dev.kindling.core.model.VanillaRnn.configure(rnnSpec, d));
        assertHalfTracksFp32(rf, initialisedLike(rnn, rf), firstFeatureSign(rnnSpec.inputs(), rnnSpec.classes()), 0.9);

        ComputationGraphConfiguration outputOnly = d.builder().graphBuilder().addInputs("in")
                .addLayer("out", new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder().nIn(3).nOut(2)
                        .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build(), "in")
                .setOutputs("out").build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MixedPrecision.apply(outputOnly, Precision.BF16, "output-only"));
        assertTrue(e.getMessage().contains("output-only") && e.getMessage().contains("--precision=fp32"), e.getMessage());
    }

    /** 8 random sequences of 5 steps of {@code inputs} features; the class: whether the first feature's sum over time is positive. */
    static DataSet firstFeatureSign(int inputs, int classes) {
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.FLOAT, 8, inputs, 5).subi(0.5);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 8, classes);
        for (int i = 0; i < 8; i++) {
            y.putScalar(i, x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i), org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                    org.nd4j.linalg.indexing.NDArrayIndex.all()).sumNumber().doubleValue() > 0 ? 1 : 0, 1);
        }
        return new DataSet(x, y);
    }

    /** The half-precision wrappers among {@code net}'s layers, in DL4J's layer order. */
    static List<HalfPrecisionLayer> halfLayers(ComputationGraph net) {
        return java.util.Arrays.stream(net.getLayers()).filter(l -> l instanceof HalfPrecisionLayer).map(l -> (HalfPrecisionLayer) l).toList();
    }
}
