package dev.kindling.core.layer;

import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The layout the batched recurrent layers ({@link BatchedLstm}, {@link BatchedSimpleRnn}) compute in:
 * time-major, feature-major {@code [T, features, B]}, so one time step is one contiguous
 * {@code [features, B]} slab and a block of rows of it is contiguous too. In DL4J's {@code [B, C, T]} a
 * step is a strided view, and libnd4j runs element-wise ops on strided views through its per-element
 * index path. Conversions to and from the layer's format happen once per pass, here.
 */
final class StepSlabs {

    /** Step t of a time-major [T, rows, B] array: a contiguous [rows, B] slab. */
    static INDArray step(INDArray timeMajor, long t) {
        return timeMajor.get(NDArrayIndex.point(t), NDArrayIndex.all(), NDArrayIndex.all());
    }

    /** Rows [from, to) of step t of a time-major [T, rows, B] array: a contiguous [to - from, B] block. */
    static INDArray rows(INDArray timeMajor, long t, long from, long to) {
        return timeMajor.get(NDArrayIndex.point(t), NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }

    /** Rows [from, to) of steps [first, last) of a time-major [T, rows, B] array. */
    static INDArray rows(INDArray timeMajor, long first, long last, long from, long to) {
        return timeMajor.get(NDArrayIndex.interval(first, last), NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }

    /** The layer's input ([B, C, T] for NCW, [B, T, C] for NWC) as a time-major [T, C, B] view. */
    static INDArray toSteps(INDArray layerFormat, RNNFormat format) {
        return layerFormat.permute(format == RNNFormat.NWC ? new int[]{1, 2, 0} : new int[]{2, 1, 0});
    }

    /** Steps T of a [B, C, T] (or [B, T, C]) array. */
    static long steps(INDArray layerFormat, RNNFormat format) {
        return layerFormat.size(format == RNNFormat.NWC ? 1 : 2);
    }

    /** Features C of a [B, C, T] (or [B, T, C]) array. */
    static long features(INDArray layerFormat, RNNFormat format) {
        return layerFormat.size(format == RNNFormat.NWC ? 2 : 1);
    }

    /**
     * A [T, C, B] array copied into a new array of the layer's format, by assigning the permuted view:
     * ND4J's dup of a permuted view takes ~10x as long (14 ms against 1.2 ms for [64, 256, 50]).
     */
    static INDArray inLayerFormat(INDArray stepSlabs, RNNFormat format, ArrayType kind, LayerWorkspaceMgr mgr) {
        INDArray permuted = stepSlabs.permute(format == RNNFormat.NWC ? new int[]{2, 0, 1} : new int[]{2, 1, 0});
        return mgr.createUninitialized(kind, permuted.dataType(), permuted.shape(), 'c').assign(permuted);
    }

    /** The [B, T] mask as a [B, 1, T] (or [B, T, 1]) array that broadcasts over {@code like}'s features. */
    static INDArray broadcastMask(INDArray mask, INDArray like, RNNFormat format) {
        return mask.castTo(like.dataType()).reshape(format == RNNFormat.NWC
                ? new long[]{like.size(0), like.size(1), 1} : new long[]{like.size(0), 1, like.size(2)});
    }

    /**
     * tanh through libnd4j's custom op, which runs oneDNN's vectorised kernel on float arrays: 27 us
     * for [384, 64] against 118 us for the legacy {@code Tanh} transform (62 us for its sigmoid).
     */
    static void tanh(INDArray in, INDArray out) {
        Nd4j.exec(DynamicCustomOp.builder("tanh").addInputs(in).addOutputs(out).build());
    }

    /**
     * A matrix product's operand as the layer's precision takes it: rounded to bf16 or fp16 (a copy) under
     * --precision=bf16 or fp16, as {@link TransformerOps#matmul} rounds the transformers'; else itself.
     */
    static INDArray operand(INDArray a, DataType matmuls) {
        return matmuls == DataType.FLOAT || matmuls == a.dataType() ? a : a.castTo(matmuls).castTo(a.dataType());
    }

    /**
     * W [nIn, G] stacked on RW [H, G] as one [nIn+H, G] array, each rounded as the products take it
     * ({@link #operand}): one product per step then takes x_s and h_{s-1} together.
     */
    static INDArray stacked(INDArray w, INDArray rw, DataType matmuls, LayerWorkspaceMgr mgr, ArrayType memory) {
        long nIn = w.size(0);
        INDArray both = mgr.createUninitialized(memory, w.dataType(), new long[]{nIn + rw.size(0), w.size(1)}, 'c');
        both.get(NDArrayIndex.interval(0, nIn), NDArrayIndex.all()).assign(operand(w, matmuls));
        both.get(NDArrayIndex.interval(nIn, both.size(0)), NDArrayIndex.all()).assign(operand(rw, matmuls));
        return both;
    }

    /**
     * The sum of a time-major [T, rows, B] array over steps and examples, as [rows, 1]: two products with
     * ones (libnd4j's sums along an axis walk strided columns; {@link TransformerOps} perRow).
     */
    static INDArray sumOverStepsAndExamples(INDArray timeMajor) {
        long t = timeMajor.size(0), rows = timeMajor.size(1), b = timeMajor.size(2);
        DataType type = timeMajor.dataType();
        INDArray overSteps = Nd4j.ones(type, 1, t).mmul(timeMajor.reshape(t, rows * b)).reshape(rows, b);
        return overSteps.mmul(Nd4j.ones(type, b, 1));
    }

    /** What a batched layer says when asked for what only DL4J's stateful recurrent layers do. */
    static UnsupportedOperationException fullSequencesOnly(String layerClass, String layerName, String what, String dl4jLayer) {
        return new UnsupportedOperationException(layerClass + " '" + layerName + "': " + what
                + " is not supported (full sequences only); build the model with DL4J's " + dl4jLayer + " for it");
    }

    /** The rank check both layers make before a pass. */
    static void requireRank3(INDArray input, String layerClass, String layerName) {
        if (input.rank() != 3) {
            throw new IllegalStateException(layerClass + " '" + layerName + "': input shape "
                    + java.util.Arrays.toString(input.shape()) + ": must be rank 3 [batch, features, time]");
        }
    }

    private StepSlabs() {
    }
}
