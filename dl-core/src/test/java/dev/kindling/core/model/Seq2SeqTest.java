package dev.kindling.core.model;

import static dev.kindling.core.model.SequenceNets.init;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.sequence.GreedyDecoder;
import dev.kindling.core.sequence.TokenLayout;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

@ExtendWith(DoublePrecision.class)
class Seq2SeqTest {

    /** Token ids [b, ts + td] drawn from [0, vocab). */
    private static INDArray tokens(int b, int width, int vocab, long seed) {
        java.util.Random rng = new java.util.Random(seed);
        INDArray x = Nd4j.zeros(DataType.DOUBLE, b, width);
        for (int i = 0; i < b; i++) {
            for (int t = 0; t < width; t++) {
                x.putScalar(i, t, rng.nextInt(vocab));
            }
        }
        return x;
    }

    @Test
    void shapesFollowTheSeedsTable() {
        Seq2Seq.Spec spec = Seq2Seq.Spec.tutorial();
        ComputationGraph g = init(Seq2Seq.configure(spec, NetDefaults.gradientCheck(1)));
        Map<String, INDArray> acts = g.feedForward(tokens(2, 100, 1000, 1), false); // src (2, 50), tgt (2, 50)
        assertArrayEquals(new long[] {2, 128, 50}, acts.get("encdec").shape()); // dec_out (2, 50, 128)
        assertArrayEquals(new long[] {2, 1000, 50}, acts.get(Seq2Seq.OUTPUT).shape());   // logits (2, 50, 1000)
        // embed + encoder + decoder (one bias per gate; PyTorch has 2 x 512 more) + fc_out
        assertEquals(1000 * 64 + 2L * (64 * 512 + 128 * 512 + 512) + 128 * 1000 + 1000, g.numParams());
    }

    /** The seed's forward pass written out by hand: the decoder starts from the encoder's final (h, c). */
    @Test
    void decoderStartsFromTheEncodersFinalStateAsInTheSeed() {
        Seq2Seq.Spec spec = Seq2Seq.Spec.tiny();
        ComputationGraph g = init(Seq2Seq.configure(spec, NetDefaults.gradientCheck(2)));
        INDArray x = tokens(2, 6, 5, 2);
        INDArray embed = g.getParam("encdec_embed");
        INDArray[] hc = {null, null};
        lstm(g, embed, x.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 3)), "enc", hc, null);
        INDArray expected = Nd4j.zeros(DataType.DOUBLE, 2, 4, 3);
        lstm(g, embed, x.get(NDArrayIndex.all(), NDArrayIndex.interval(3, 6)), "dec", hc, expected);
        INDArray actual = g.feedForward(x, false).get("encdec");
        assertEquals(0, expected.distance2(actual), 1e-12);
    }

    private static void lstm(ComputationGraph g, INDArray embed, INDArray ids, String prefix, INDArray[] hc, INDArray outputs) {
        INDArray wx = g.getParam("encdec_" + prefix + "Wx");
        INDArray wh = g.getParam("encdec_" + prefix + "Wh");
        INDArray b = g.getParam("encdec_" + prefix + "B");
        int h = (int) wh.size(0);
        for (int t = 0; t < ids.size(1); t++) {
            INDArray xt = Nd4j.zeros(DataType.DOUBLE, ids.size(0), embed.size(1));
            for (int i = 0; i < ids.size(0); i++) {
                xt.putRow(i, embed.getRow(ids.getInt(i, t)));
            }
            INDArray z = xt.mmul(wx).addRowVector(b);
            if (hc[0] != null) {
                z.addi(hc[0].mmul(wh));
            }
            INDArray in = Transforms.sigmoid(z.get(NDArrayIndex.all(), NDArrayIndex.interval(0, h)));
            INDArray f = Transforms.sigmoid(z.get(NDArrayIndex.all(), NDArrayIndex.interval(h, 2 * h)));
            INDArray gg = Transforms.tanh(z.get(NDArrayIndex.all(), NDArrayIndex.interval(2 * h, 3 * h)));
            INDArray o = Transforms.sigmoid(z.get(NDArrayIndex.all(), NDArrayIndex.interval(3 * h, 4 * h)));
            hc[1] = hc[1] == null ? in.mul(gg) : f.mul(hc[1]).add(in.mul(gg));
            hc[0] = o.mul(Transforms.tanh(hc[1]));
            if (outputs != null) {
                outputs.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t)).assign(hc[0]);
            }
        }
    }

    @Test
    void decoderOutputAtAStepIgnoresLaterDecoderInputs() {
        ComputationGraph g = init(Seq2Seq.configure(Seq2Seq.Spec.tiny(), NetDefaults.gradientCheck(3)));
        INDArray x = tokens(2, 6, 5, 3);
        INDArray changed = x.dup();
        changed.putScalar(0, 5, (changed.getInt(0, 5) + 1) % 5); // the last decoder input
        INDArray a = g.outputSingle(x);
        INDArray b = g.outputSingle(changed);
        INDArray early = a.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 2));
        assertEquals(0, early.distance2(b.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 2))), 1e-12);
        assertTrue(a.distance2(b) > 1e-9);
    }

    @Test
    void gradientsMatchFiniteDifferencesWithAndWithoutTheLabelMask() {
        ComputationGraph g = init(Seq2Seq.configure(Seq2Seq.Spec.tiny(), NetDefaults.gradientCheck(4)));
        INDArray x = tokens(2, 6, 5, 4);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 2, 5, 3);
        for (int i = 0; i < 2; i++) {
            for (int t = 0; t < 3; t++) {
                y.putScalar(new long[] {i, (i + 2 * t) % 5, t}, 1.0);
            }
        }
        SequenceNets.assertGradientsMatch(g, x, y, null, null, "no mask");
        SequenceNets.assertGradientsMatch(g, x, y, null, Nd4j.create(new double[][] {{1, 1, 0}, {1, 1, 1}}), "label mask");
    }

    @Test
    void greedyDecodingIgnoresTheTeacherForcedTargetsAFeatureRowCarries() {
        ComputationGraph g = init(Seq2Seq.configure(Seq2Seq.Spec.tiny(), NetDefaults.gradientCheck(5)));
        TokenLayout layout = new TokenLayout("_^$ab", 3, 3, 1, 2, 0);
        INDArray x = tokens(3, 6, 5, 5);
        INDArray other = x.dup();
        other.get(NDArrayIndex.all(), NDArrayIndex.interval(3, 6)).assign(4);
        int[][] a = GreedyDecoder.decode(g, x, layout);
        assertArrayEquals(a, GreedyDecoder.decode(g, other, layout));
        for (int[] row : a) {
            assertTrue(row.length <= 3);
        }
    }

    @Test
    void saveAndLoadGiveIdenticalOutputs() throws Exception {
        ComputationGraph g = init(Seq2Seq.configure(Seq2Seq.Spec.tiny(), NetDefaults.gradientCheck(6)));
        INDArray x = tokens(2, 6, 5, 6);
        assertEquals(g.outputSingle(x), SequenceNets.roundTrip(g, Architecture.SEQ2SEQ).outputSingle(x));
    }
}
