package dev.kindling.core.layer;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code c = alpha op(a) op(b) + beta c}, what {@link Nd4j#gemm(INDArray, INDArray, INDArray, boolean, boolean, double, double)}
 * computes, for the small products of Kindling's own layers: on the CPU backend, straight through OpenBLAS's
 * {@code cblas_sgemm}/{@code cblas_dgemm} on the arrays' own memory, the library ND4J itself calls.
 *
 * <p>Why: {@code Nd4j.gemm} runs as ND4J's {@code Mmul} custom op, whose Java and native bookkeeping (op context,
 * shape buffers, arguments) costs more than a small product: [64, 20] x [20, 128] took 19 us through it and 5 us
 * through {@code cblas_sgemm} (2026-12-05, one thread). The seed MLP's trunk makes six such products a step, the
 * LSTMs three per time step.
 *
 * <p>Taken when all three arrays are float (or all double), two-dimensional, each row-major or column-major with
 * unit stride along one dimension (views included: a parameter's slice of the flat vector is one), and {@code c}
 * row-major; everything else, and any backend but the CPU's (a GPU's memory is not the host's), goes to
 * {@code Nd4j.gemm}, which also reports mismatched shapes.
 */
public final class Gemm {
    /** {@code -Dkindling.gemm.direct=false} sends every product to {@code Nd4j.gemm} (the before of this class, for an A/B). */
    public static final String DIRECT_PROPERTY = "kindling.gemm.direct";
    /**
     * Whether products may go to OpenBLAS: ND4J runs on its CPU backend (whose arrays live in host memory, and which
     * brings JavaCPP's OpenBLAS: a CUDA build has neither, and never loads {@code openblas_nolapack}), and the property
     * does not turn it off.
     */
    private static final boolean DIRECT = HostArrays.CPU_BACKEND && Boolean.parseBoolean(System.getProperty(DIRECT_PROPERTY, "true"));

    private Gemm() {}

    /** {@code c = alpha op(a) op(b) + beta c}; returns {@code c}. */
    public static INDArray gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha, double beta) {
        if (!DIRECT || !blasTakes(a, b, c, transA, transB)) {
            Nd4j.gemm(a, b, c, transA, transB, alpha, beta);
            return c;
        }
        // a column-major matrix is its transpose, row-major: flip the transpose flag and take the other stride
        boolean colA = a.stride(1) != 1, colB = b.stride(1) != 1;
        int m = (int) c.size(0), n = (int) c.size(1), k = (int) (transA ? a.size(0) : a.size(1));
        int opA = transA != colA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
        int opB = transB != colB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
        int lda = leading(a, colA), ldb = leading(b, colB), ldc = leading(c, false);
        if (c.dataType() == DataType.FLOAT) {
            openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, opA, opB, m, n, k, (float) alpha,
                    new FloatPointer(a.data().addressPointer()), lda, new FloatPointer(b.data().addressPointer()), ldb, (float) beta,
                    new FloatPointer(c.data().addressPointer()), ldc);
        } else {
            openblas_nolapack.cblas_dgemm(openblas_nolapack.CblasRowMajor, opA, opB, m, n, k, alpha,
                    new DoublePointer(a.data().addressPointer()), lda, new DoublePointer(b.data().addressPointer()), ldb, beta,
                    new DoublePointer(c.data().addressPointer()), ldc);
        }
        return c;
    }

    /** Whether the three arrays can go to cblas as they are, shapes agreeing. */
    static boolean blasTakes(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB) {
        DataType t = c.dataType();
        if ((t != DataType.FLOAT && t != DataType.DOUBLE) || a.dataType() != t || b.dataType() != t
                || a.rank() != 2 || b.rank() != 2 || c.rank() != 2 || a.isEmpty() || b.isEmpty() || c.isEmpty()) {
            return false;
        }
        long m = transA ? a.size(1) : a.size(0), k = transA ? a.size(0) : a.size(1);
        long kb = transB ? b.size(1) : b.size(0), n = transB ? b.size(0) : b.size(1);
        return k == kb && m == c.size(0) && n == c.size(1) && c.stride(1) == 1 && c.size(1) <= Math.max(1, c.stride(0))
                && unitStride(a) && unitStride(b) && intSized(a) && intSized(b) && intSized(c);
    }

    /** cblas takes sizes and leading dimensions as ints. */
    private static boolean intSized(INDArray x) {
        return Math.max(Math.max(x.size(0), x.size(1)), Math.max(x.stride(0), x.stride(1))) < Integer.MAX_VALUE;
    }

    /** Row-major ([ld, 1], ld >= columns) or column-major ([1, ld], ld >= rows). */
    private static boolean unitStride(INDArray x) {
        return (x.stride(1) == 1 && x.size(1) <= Math.max(1, x.stride(0))) || (x.stride(0) == 1 && x.size(0) <= Math.max(1, x.stride(1)));
    }

    /** The leading dimension cblas wants: the stride between rows (row-major) or columns (column-major), at least 1 line. */
    private static int leading(INDArray x, boolean columnMajor) {
        long lines = columnMajor ? x.size(0) : x.size(1), stride = columnMajor ? x.stride(1) : x.stride(0);
        return (int) Math.max(Math.max(1, lines), stride);
    }
}
