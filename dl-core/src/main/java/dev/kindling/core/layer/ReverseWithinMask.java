package dev.kindling.core.layer;

import org.deeplearning4j.nn.conf.graph.rnn.ReverseTimeSeriesVertex;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * DL4J's {@link ReverseTimeSeriesVertex} (reverse each [B, C, T] sequence within the mask of a network
 * input, padding kept in place and zeroed) with one copy per time step for the whole batch when all
 * sequences have the same length (no mask, or every mask row the same ones then zeros). DL4J's vertex
 * copies one (example, time step) slice at a time: 3,200 ND4J calls per use at batch 64 and 50 steps,
 * four uses per bidirectional layer and training step. Batches of mixed lengths take that per-slice
 * path, with DL4J's result. (libnd4j's {@code reverse_sequence} and {@code reverse} ops take 8 ms on
 * [64, 256, 50], 5x the 50 slice copies: measured, not used.)
 */
public final class ReverseWithinMask extends ReverseTimeSeriesVertex {
    private static final long serialVersionUID = 1L;

    /** For JSON. */
    public ReverseWithinMask() {
        super();
    }

    /** @param maskInput the network input whose mask marks each sequence's real steps (null: no mask) */
    public ReverseWithinMask(String maskInput) {
        super(maskInput);
    }

    @Override
    public ReverseWithinMask clone() {
        return new ReverseWithinMask(getMaskArrayInputName());
    }

    @Override
    public org.deeplearning4j.nn.graph.vertex.impl.rnn.ReverseTimeSeriesVertex instantiate(
            ComputationGraph graph, String name, int idx, INDArray paramsView, boolean initializeParams, DataType type) {
        return new Impl(graph, name, idx, getMaskArrayInputName(), type);
    }

    static final class Impl extends org.deeplearning4j.nn.graph.vertex.impl.rnn.ReverseTimeSeriesVertex {
        private final int maskInput;

        Impl(ComputationGraph graph, String name, int idx, String maskInputName, DataType type) {
            super(graph, name, idx, maskInputName, type);
            this.maskInput = maskInputName == null ? -1 : graph.getConfiguration().getNetworkInputs().indexOf(maskInputName);
        }

        private INDArray mask() {
            INDArray[] masks = graph.getInputMaskArrays();
            return maskInput < 0 || masks == null ? null : masks[maskInput];
        }

        @Override
        public INDArray doForward(boolean training, LayerWorkspaceMgr mgr) {
            if (!canDoForward()) {
                throw new IllegalStateException("Cannot do forward pass: inputs not set");
            }
            return reverse(inputs[0], mask(), mgr, ArrayType.ACTIVATIONS);
        }

        @Override
        public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr mgr) {
            return new Pair<>(null, new INDArray[]{reverse(epsilon, mask(), mgr, ArrayType.ACTIVATION_GRAD)});
        }
    }

    /** The reversal; self-inverse. */
    static INDArray reverse(INDArray in, INDArray mask, LayerWorkspaceMgr mgr, ArrayType type) {
        int n = Math.toIntExact(in.size(0));
        int t = Math.toIntExact(in.size(2));
        INDArray out = mgr.create(type, in.dataType(), in.shape(), 'c');
        float[] m = mask == null ? null : mask.castTo(DataType.FLOAT).dup('c').data().asFloat();
        int common = m == null ? t : commonPrefixLength(m, n, t);
        if (common >= 0) {
            // every sequence is its first `common` steps: one copy per time step for the whole batch
            for (int k = 0; k < common; k++) {
                timeStep(out, k).assign(timeStep(in, common - 1 - k));
            }
            return out;
        }
        for (int s = 0; s < n; s++) {
            // DL4J's order: the k-th real step from the front goes to the k-th real position from the back
            int from = 0;
            int to = t - 1;
            while (true) {
                while (from < t && m[s * t + from] == 0) {
                    from++;
                }
                while (to >= 0 && m[s * t + to] == 0) {
                    to--;
                }
                if (from >= t || to < 0) {
                    break;
                }
                out.get(NDArrayIndex.point(s), NDArrayIndex.all(), NDArrayIndex.point(to))
                        .assign(in.get(NDArrayIndex.point(s), NDArrayIndex.all(), NDArrayIndex.point(from)));
                from++;
                to--;
            }
        }
        return out;
    }

    private static INDArray timeStep(INDArray a, int k) {
        return a.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(k));
    }

    /** L when every row of the [n, t] mask is L ones then zeros; -1 otherwise. */
    private static int commonPrefixLength(float[] m, int n, int t) {
        int common = -1;
        for (int s = 0; s < n; s++) {
            int len = 0;
            while (len < t && m[s * t + len] != 0) {
                len++;
            }
            for (int k = len; k < t; k++) {
                if (m[s * t + k] != 0) {
                    return -1;
                }
            }
            if (common >= 0 && len != common) {
                return -1;
            }
            common = len;
        }
        return common;
    }
}
