package dev.kindling.core.sequence;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Greedy decoding for a {@link dev.kindling.core.model.Seq2Seq} network: the decoder input starts as
 * {@code [BOS, PAD ..]}; step k runs the network, takes the most likely token at position k and writes
 * it into position k + 1 of the decoder input, until every sequence has produced EOS or Td steps have
 * run. The decoder is a forward LSTM, so position k's output depends only on decoder inputs 0..k: the
 * padding ahead of k never leaks into a prediction, and the teacher-forced targets a dataset carries in
 * those positions are cleared before decoding starts.
 *
 * <pre>
 * array       shape           note
 * features    [B, Ts + Td]    source ids, then decoder input (overwritten here, on a copy)
 * output      [B, V, Td]      the network's softmax per decoder step
 * returns     B int[]         ids before the first EOS (all Td when none came)
 * </pre>
 */
public final class GreedyDecoder {

    public static int[][] decode(ComputationGraph net, INDArray features, TokenLayout layout) {
        int ts = layout.sourceLength();
        int td = layout.targetLength();
        if (features.rank() != 2 || features.size(1) != ts + td) {
            throw new IllegalArgumentException("features " + java.util.Arrays.toString(features.shape()) + ": expected [B, " + (ts + td) + "]");
        }
        int b = (int) features.size(0);
        INDArray x = features.castTo(net.params().dataType()).dup();
        x.get(NDArrayIndex.all(), NDArrayIndex.interval(ts, ts + td)).assign(layout.pad());
        x.get(NDArrayIndex.all(), NDArrayIndex.point(ts)).assign(layout.bos());
        int[][] ids = new int[b][td];
        boolean[] done = new boolean[b];
        for (int k = 0; k < td; k++) {
            INDArray probs = net.output(false, x)[0];                                     // [B, V, Td]
            INDArray best = Nd4j.argMax(probs.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(k)), 1); // [B]
            boolean all = true;
            for (int i = 0; i < b; i++) {
                ids[i][k] = done[i] ? layout.pad() : best.getInt(i);
                done[i] |= ids[i][k] == layout.eos();
                all &= done[i];
            }
            if (all) {
                break;
            }
            if (k + 1 < td) {
                x.get(NDArrayIndex.all(), NDArrayIndex.point(ts + k + 1)).assign(best.castTo(x.dataType()));
            }
        }
        int[][] out = new int[b][];
        for (int i = 0; i < b; i++) {
            out[i] = layout.untilEos(ids[i]);
        }
        return out;
    }

    /** The target ids of a batch's one-hot labels {@code [B, V, Td]}, the label-masked steps only, before EOS. */
    public static int[][] targets(INDArray labels, INDArray labelMask, TokenLayout layout) {
        INDArray best = Nd4j.argMax(labels, 1);                                           // [B, Td]
        int b = (int) labels.size(0);
        int[][] out = new int[b][];
        for (int i = 0; i < b; i++) {
            int n = 0;
            int[] row = new int[(int) labels.size(2)];
            for (int t = 0; t < row.length; t++) {
                if (labelMask == null || labelMask.getDouble(i, t) > 0) {
                    row[n++] = best.getInt(i, t);
                }
            }
            out[i] = layout.untilEos(java.util.Arrays.copyOf(row, n));
        }
        return out;
    }

    /** {@code scripts/kindling generate}: one prompt decoded to text. */
    public static String generate(ComputationGraph net, TokenLayout layout, String prompt) {
        int[] src = layout.encodeSource(prompt);
        float[] f = new float[layout.sourceLength() + layout.targetLength()];
        for (int t = 0; t < src.length; t++) {
            f[t] = src[t];
        }
        INDArray x = Nd4j.create(f, new long[] {1, f.length}, net.params().dataType());
        int[] ids = decode(net, x, layout)[0];
        return layout.decode(ids);
    }

    private GreedyDecoder() {}
}
