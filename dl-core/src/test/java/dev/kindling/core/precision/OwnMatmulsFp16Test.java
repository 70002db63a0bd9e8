package dev.kindling.core.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.layer.HalfPrecisionMatmuls;
import dev.kindling.core.layer.LossScaled;
import dev.kindling.core.model.EncoderClassifier;
import dev.kindling.core.model.Gpt;
import dev.kindling.core.model.Head;
import dev.kindling.core.model.LstmClassifier;
import dev.kindling.core.model.Mlp;
import dev.kindling.core.model.Seq2Seq;
import dev.kindling.core.model.VanillaRnn;
import dev.kindling.core.optim.AdamW;
import dev.kindling.core.optim.NetDefaults;
import java.util.List;
import java.util.function.DoubleFunction;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code --precision=fp16} for the layers that compute their own matrix products (the GPT, the encoder
 * classifier, the batched LSTM, the batched vanilla RNN, seq2seq's encoder-decoder, the MLP's trunk): fp16 operands, and a backward that runs loss-scaled inside the layer and
 * unscaled outside it ({@link LossScaled}).
 */
class OwnMatmulsFp16Test {
    private static final NetDefaults DEFAULTS = new NetDefaults(MixedPrecisionTest.SEED, DataType.FLOAT,
            AdamW.adam(new org.nd4j.linalg.schedule.FixedSchedule(1e-2)), 0);
    private static final LstmClassifier.Spec LSTM = LstmClassifier.Spec.tiny();
    private static final VanillaRnn.Spec RNN = VanillaRnn.Spec.tiny();

    private static ComputationGraphConfiguration gpt() {
        return MixedPrecisionTest.gptConf();
    }

    private static ComputationGraphConfiguration lstm() {
        return LstmClassifier.configure(LSTM, DEFAULTS);
    }

    private static ComputationGraphConfiguration vanillaRnn() {
        return VanillaRnn.configure(RNN, DEFAULTS);
    }

    private static DataSet rnnSequences() {
        return MixedPrecisionTest.firstFeatureSign(RNN.inputs(), RNN.classes());
    }

    private static ComputationGraphConfiguration mlp() {
        return Mlp.configure(new Mlp.Spec(16, 32, 3, Head.SOFTMAX, 0.0), DEFAULTS);
    }

    private static DataSet blobs() {
        return MixedPrecisionTest.blobs(48, 5);
    }

    private static ComputationGraphConfiguration seq2seq() {
        return Seq2Seq.configure(Seq2Seq.Spec.tiny(), DEFAULTS);
    }

    /** 8 sources of 3 tokens, their teacher-forced decoder inputs (0, then the targets) and targets: each source token + 1 (mod 5). */
    private static DataSet shiftedCopies() {
        java.util.Random r = new java.util.Random(7);
        INDArray x = Nd4j.zeros(DataType.FLOAT, 8, 6);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 8, 5, 3);
        for (int i = 0; i < 8; i++) {
            for (int t = 0; t < 3; t++) {
                int target = (r.nextInt(5) + 1) % 5;
                x.putScalar(i, t, (target + 4) % 5);
                y.putScalar(new long[] {i, target, t}, 1);
                if (t < 2) {
                    x.putScalar(i, 4 + t, target);
                }
            }
        }
        return new DataSet(x, y);
    }

    private static ComputationGraphConfiguration encoder() {
        return EncoderClassifier.configure(EncoderClassifier.Spec.tiny(), 5, 4, DEFAULTS);
    }

    /** Token ids [4, 5] (0 is padding) and one class of 3 each. */
    private static DataSet sentences() {
        INDArray x = Nd4j.createFromArray(new float[][] {{1, 2, 3, 4, 5}, {5, 4, 3, 2, 1}, {2, 2, 3, 3, 0}, {4, 1, 1, 0, 0}});
        INDArray y = Nd4j.zeros(DataType.FLOAT, 4, 3);
        for (int i = 0; i < 4; i++) {
            y.putScalar(i, i % 3, 1);
        }
        return new DataSet(x, y);
    }

    private static ComputationGraph fp16(ComputationGraphConfiguration conf, double initialLossScale, ComputationGraph like) {
        MixedPrecision.apply(conf, Precision.FP16, "model", initialLossScale);
        ComputationGraph net = MixedPrecisionTest.initialisedLike(conf, like);
        net.setListeners(new LossScaling());
        return net;
    }

    private static ComputationGraph fp32(ComputationGraphConfiguration conf) {
        return MixedPrecisionTest.initialised(conf);
    }

    @Test
    void eachLayerTakesFp16AndSavesItsLossScaleWithTheConfiguration() {
        for (var c : List.of(new Object[] {gpt(), Gpt.OUTPUT}, new Object[] {encoder(), EncoderClassifier.OUTPUT},
                new Object[] {lstm(), "lstm0_fwd"}, new Object[] {vanillaRnn(), "rnn"}, new Object[] {seq2seq(), "encdec"},
                new Object[] {mlp(), Mlp.TRUNK})) {
            ComputationGraphConfiguration conf = (ComputationGraphConfiguration) c[0];
            String layer = (String) c[1];
            assertTrue(MixedPrecision.apply(conf, Precision.FP16, "model").contains(layer), layer);
            var restored = (HalfPrecisionMatmuls) ((LayerVertex) ComputationGraphConfiguration.fromJson(conf.toJson()).getVertices()
                    .get(layer)).getLayerConf().getLayer();
            assertEquals(DataType.HALF, restored.getMatmuls(), layer);
            assertEquals(DynamicLossScale.INITIAL, restored.getInitialLossScale(), layer);
            ComputationGraph net = new ComputationGraph(conf);
            net.init();
            List<LossScaled> scaled = LossScaling.scaledLayers(net);
            assertTrue(!scaled.isEmpty() && scaled.stream().allMatch(l -> l.lossScale().get() == DynamicLossScale.INITIAL), layer);
        }
        ComputationGraph plain = fp32(gpt());
        assertEquals(List.of(), LossScaling.scaledLayers(plain), "fp32: no layer scales its loss");
    }

    /**
     * The gradient DL4J sees is fp32's within fp16's rounding, and not fp32's exactly: the scale went in (the
     * operands' gradients were rounded to fp16) and came out again (2^16 / B would show).
     */
    @Test
    void fp16GradientsAreFp32sWithinRoundingAndUnscaled() {
        assertGradientsAgree(gpt(), MixedPrecisionTest.nextTokens());
        assertGradientsAgree(encoder(), sentences());
        assertGradientsAgree(lstm(), MixedPrecisionTest.firstFeatureSign(LSTM.inputs(), LSTM.classes()));
        assertGradientsAgree(vanillaRnn(), rnnSequences());
        assertGradientsAgree(seq2seq(), shiftedCopies());
        assertGradientsAgree(mlp(), blobs());
    }

    private static void assertGradientsAgree(ComputationGraphConfiguration conf, DataSet d) {
        ComputationGraph f = fp32(conf.clone());
        ComputationGraph h = fp16(conf, DynamicLossScale.INITIAL, f);
        for (ComputationGraph g : List.of(f, h)) {
            g.setInputs(d.getFeatures());
            g.setLabels(d.getLabels());
            g.computeGradientAndScore();
        }
        INDArray gf = f.gradient().gradient();
        INDArray gh = h.gradient().gradient();
        double rel = gf.sub(gh).norm2Number().doubleValue() / gf.norm2Number().doubleValue();
        assertTrue(rel > 0 && rel < 1e-2, "relative gradient difference fp16 against fp32: " + rel);
        assertTrue(Math.abs(f.score() - h.score()) < 1e-2 * f.score(), "loss fp32 " + f.score() + ", fp16 " + h.score());
    }

    /** A scale no fp16 gradient fits under overflows inside the layer: the step is skipped and the scale halved until it fits. */
    @Test
    void anOverflowInsideTheLayerSkipsTheStepUntilTheScaleFits() {
        assertOverflowSkips(this::gptAt, MixedPrecisionTest.nextTokens());
        assertOverflowSkips(this::lstmAt, MixedPrecisionTest.firstFeatureSign(LSTM.inputs(), LSTM.classes()));
        assertOverflowSkips(scale -> fp16(vanillaRnn(), scale, fp32(vanillaRnn())), rnnSequences());
        // seq2seq's only half-precision layer is its encoder-decoder (a SameDiff layer under an fp32 output layer)
        assertOverflowSkips(scale -> fp16(seq2seq(), scale, fp32(seq2seq())), shiftedCopies());
        assertOverflowSkips(scale -> fp16(mlp(), scale, fp32(mlp())), blobs());
    }

    private ComputationGraph gptAt(double scale) {
        return fp16(gpt(), scale, fp32(gpt()));
    }

    private ComputationGraph lstmAt(double scale) {
        return fp16(lstm(), scale, fp32(lstm()));
    }

    private static void assertOverflowSkips(DoubleFunction<ComputationGraph> model, DataSet d) {
        double huge = Math.pow(2, 60);
        ComputationGraph net = model.apply(huge);
        INDArray params = net.params().dup();
        net.fit(d);
        DynamicLossScale state = LossScaling.stateOf(net);
        assertEquals(1, state.skipped(), "the first step overflowed");
        assertEquals(params, net.params(), "a skipped step leaves the parameters bit-identical");
        LossScaling.scaledLayers(net).forEach(l -> assertEquals(huge / 2, l.lossScale().get()));
        while (state.lastSkipped()) {
            net.fit(d);
        }
        assertNotEquals(params, net.params(), "the first clean step moves the parameters");
        assertTrue(state.scale() >= 1 && state.scale() <= Math.pow(2, 30), "it settles where fp16 holds the gradients: " + state.scale());
    }

    /**
     * Why the scale goes inside: an LSTM under an output layer with tiny weights gets gradients of ~1e-8, where
     * fp16 has only its subnormals' few bits (its smallest normal is 6.1e-5). Loss-scaled, the LSTM's fp16
     * gradient is fp32's within rounding; at scale 1 (fp16 operands, no scaling) it is not.
     */
    @Test
    void theScaleKeepsTinyGradientsThatFp16WouldFlush() {
        DataSet d = new DataSet(Nd4j.rand(DataType.FLOAT, 8, 3, 5).subi(0.5), Nd4j.zeros(DataType.FLOAT, 8, 2, 5));
        ComputationGraph f = fp32(lstmUnderTinyHead());
        f.getLayer("out").getParam("W").muli(1e-3);
        double scaled = lstmGradientDifference(f, fp16(lstmUnderTinyHead(), DynamicLossScale.INITIAL, f), d);
        double unscaled = lstmGradientDifference(f, fp16(lstmUnderTinyHead(), 1.0, f), d);
        assertTrue(scaled < 1e-2 && unscaled > 10 * scaled, "LSTM gradient vs fp32, scaled " + scaled + ", unscaled " + unscaled);
    }

    /** One batched LSTM (3 -> 4) under an fp32 linear output layer with mean squared error. */
    private static ComputationGraphConfiguration lstmUnderTinyHead() {
        return new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().seed(MixedPrecisionTest.SEED).dataType(DataType.FLOAT)
                .updater(new org.nd4j.linalg.learning.config.Sgd(0.1)).graphBuilder().addInputs("in")
                .addLayer("lstm", dev.kindling.core.layer.BatchedLstm.of(new org.deeplearning4j.nn.conf.layers.LSTM.Builder().nIn(3).nOut(4)
                        .activation(org.nd4j.linalg.activations.Activation.TANH).build()), "in")
                .addLayer("out", new org.deeplearning4j.nn.conf.layers.RnnOutputLayer.Builder(
                        org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction.MSE).activation(org.nd4j.linalg.activations.Activation.IDENTITY)
                        .nIn(4).nOut(2).build(), "lstm")
                .setOutputs("out").setInputTypes(org.deeplearning4j.nn.conf.inputs.InputType.recurrent(3, 5)).build();
    }

    /** The relative L2 difference of the LSTM's parameter gradients between {@code f} and {@code h} on {@code d}. */
    private static double lstmGradientDifference(ComputationGraph f, ComputationGraph h, DataSet d) {
        for (ComputationGraph g : List.of(f, h)) {
            g.setInputs(d.getFeatures());
            g.setLabels(d.getLabels());
            g.computeGradientAndScore();
        }
        INDArray gf = f.getLayer("lstm").getGradientsViewArray();
        return gf.sub(h.getLayer("lstm").getGradientsViewArray()).norm2Number().doubleValue() / gf.norm2Number().doubleValue();
    }

    @Test
    void fp16TrainsLikeFp32() {
        ComputationGraph f = fp32(gpt());
        MixedPrecisionTest.assertHalfTracksFp32(f, fp16(gpt(), DynamicLossScale.INITIAL, f), MixedPrecisionTest.nextTokens(), 0.7);
        ComputationGraph g = fp32(lstm());
        MixedPrecisionTest.assertHalfTracksFp32(g, fp16(lstm(), DynamicLossScale.INITIAL, g), MixedPrecisionTest.firstFeatureSign(LSTM.inputs(), LSTM.classes()), 0.9);
        ComputationGraph r = fp32(vanillaRnn());
        MixedPrecisionTest.assertHalfTracksFp32(r, fp16(vanillaRnn(), DynamicLossScale.INITIAL, r), rnnSequences(), 0.9);
        ComputationGraph s = fp32(seq2seq());
        MixedPrecisionTest.assertHalfTracksFp32(s, fp16(seq2seq(), DynamicLossScale.INITIAL, s), shiftedCopies(), 0.97);
        ComputationGraph m = fp32(mlp());
        MixedPrecisionTest.assertHalfTracksFp32(m, fp16(mlp(), DynamicLossScale.INITIAL, m), blobs(), 0.9);
    }
}
