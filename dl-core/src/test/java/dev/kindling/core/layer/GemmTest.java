package dev.kindling.core.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class GemmTest {

    /** Ways the same [rows, cols] matrix is laid out in memory: what Kindling's layers hand to a product. */
    static List<BiFunction<INDArray, String, INDArray>> layouts() {
        List<BiFunction<INDArray, String, INDArray>> out = new ArrayList<>();
        out.add((m, name) -> m.dup('c'));                                   // row-major
        out.add((m, name) -> m.dup('f'));                                   // column-major
        out.add((m, name) -> { // a parameter's slice of a flat [1, N] vector, reshaped (DL4J's parameter views)
            INDArray flat = Nd4j.create(m.dataType(), 1, m.length() + 7);
            INDArray v = flat.get(NDArrayIndex.interval(0, 1), NDArrayIndex.interval(5, 5 + m.length())).reshape('c', m.size(0), m.size(1));
            return v.assign(m);
        });
        out.add((m, name) -> m.transpose().dup('c').transpose());          // a transposed view (column-major, 'f')
        out.add((m, name) -> { // a block of a wider row-major matrix: leading dimension > columns
            INDArray wide = Nd4j.create(m.dataType(), m.size(0), m.size(1) + 3);
            return wide.get(NDArrayIndex.all(), NDArrayIndex.interval(2, 2 + m.size(1))).assign(m);
        });
        return out;
    }

    @Test
    void everyLayoutAndTransposeAgreesWithNd4jsGemm() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            Nd4j.getRandom().setSeed(3);
            int m = 6, k = 5, n = 4;
            INDArray a0 = Nd4j.randn(type, m, k), b0 = Nd4j.randn(type, k, n), c0 = Nd4j.randn(type, m, n);
            double tol = type == DataType.FLOAT ? 1e-5 : 1e-12;
            int direct = 0, cases = 0;
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    INDArray a = ta ? a0.transpose().dup() : a0, b = tb ? b0.transpose().dup() : b0;
                    for (var la : layouts()) {
                        for (var lb : layouts()) {
                            for (var lc : layouts()) {
                                for (double beta : new double[] {0.0, 1.0}) {
                                    INDArray expected = c0.dup('c');
                                    Nd4j.gemm(a.dup('c'), b.dup('c'), expected, ta, tb, 0.5, beta);
                                    INDArray av = la.apply(a, "a"), bv = lb.apply(b, "b"), cv = lc.apply(c0, "c");
                                    direct += Gemm.blasTakes(av, bv, cv, ta, tb) ? 1 : 0;
                                    cases++;
                                    Gemm.gemm(av, bv, cv, ta, tb, 0.5, beta);
                                    double gap = cv.sub(expected).amaxNumber().doubleValue();
                                    assertTrue(gap < tol * (1 + expected.amaxNumber().doubleValue()),
                                            type + " ta=" + ta + " tb=" + tb + " beta=" + beta + " a " + av.shapeInfoToString() + " b "
                                                    + bv.shapeInfoToString() + " c " + cv.shapeInfoToString() + ": off by " + gap);
                                }
                            }
                        }
                    }
                }
            }
            // c column-major (layouts 2 and 4 of 5) goes to ND4J; every other case straight to BLAS
            assertEquals(cases * 3 / 5, direct, type + ": products that went straight to BLAS");
        }
    }

    @Test
    void whatBlasCannotTakeGoesToNd4jAndStillComesOutRight() {
        INDArray a = Nd4j.randn(DataType.FLOAT, 4, 6), b = Nd4j.randn(DataType.FLOAT, 3, 5);
        INDArray everyOther = a.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 6)); // [4, 3], column stride 2
        assertFalse(Gemm.blasTakes(everyOther, b, Nd4j.create(DataType.FLOAT, 4, 5), false, false));
        INDArray c = Gemm.gemm(everyOther, b, Nd4j.create(DataType.FLOAT, 4, 5), false, false, 1.0, 0.0);
        assertTrue(c.equalsWithEps(everyOther.dup().mmul(b), 1e-5));
        assertFalse(Gemm.blasTakes(a.castTo(DataType.DOUBLE), Nd4j.randn(DataType.FLOAT, 6, 2), Nd4j.create(DataType.FLOAT, 4, 2), false, false),
                "mixed types");
        assertFalse(Gemm.blasTakes(a, Nd4j.randn(DataType.FLOAT, 5, 2), Nd4j.create(DataType.FLOAT, 4, 2), false, false), "shapes disagree");
    }
}
