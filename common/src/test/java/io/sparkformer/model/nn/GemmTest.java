package io.sparkformer.model.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The direct BLAS product equals a naive triple loop for every transpose, type and kind of view. */
class GemmTest {
    /** alpha op(a) op(b) + beta c0, entry by entry. */
    private static double[][] naive(INDArray a, INDArray b, INDArray c0, boolean ta, boolean tb, double alpha,
                                    double beta) {
        int m = (int) c0.size(0);
        int n = (int) c0.size(1);
        int k = (int) (ta ? a.size(0) : a.size(1));
        double[][] out = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int l = 0; l < k; l++) {
                    s += (ta ? a.getDouble(l, i) : a.getDouble(i, l)) * (tb ? b.getDouble(j, l) : b.getDouble(l, j));
                }
                out[i][j] = alpha * s + beta * c0.getDouble(i, j);
            }
        }
        return out;
    }

    private static void assertProduct(double[][] expected, INDArray c, double tol) {
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                assertEquals(expected[i][j], c.getDouble(i, j), tol, "c[" + i + "," + j + "]");
            }
        }
    }

    @Test
    void everyTransposeMatchesTheNaiveProductInFloatAndDouble() {
        Nd4j.getRandom().setSeed(7);
        for (DataType t : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            double tol = t == DataType.FLOAT ? 1e-4 : 1e-12;
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    INDArray a = ta ? Nd4j.randn(t, 7, 5) : Nd4j.randn(t, 5, 7);
                    INDArray b = tb ? Nd4j.randn(t, 3, 7) : Nd4j.randn(t, 7, 3);
                    INDArray c = Nd4j.randn(t, 5, 3);
                    double[][] expected = naive(a, b, c, ta, tb, 0.5, 1.0);
                    Gemm.gemm(a, b, c, ta, tb, 0.5, 1.0);
                    assertProduct(expected, c, tol);
                    INDArray fresh = Gemm.gemm(a, b, ta, tb);
                    assertProduct(naive(a, b, Nd4j.zeros(t, 5, 3), ta, tb, 1.0, 0.0), fresh, tol);
                    assertEquals('c', fresh.ordering());
                }
            }
        }
    }

    /** Parameter and gradient views start inside one flat buffer; column slices have a row stride. */
    @Test
    void offsetAndColumnSliceViewsAreReadAndWrittenInPlace() {
        INDArray flat = Nd4j.randn(DataType.DOUBLE, 1, 200);
        INDArray a = flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(13, 13 + 24)).reshape('c', 4, 6);
        INDArray wide = Nd4j.randn(DataType.DOUBLE, 6, 9);
        INDArray b = wide.get(NDArrayIndex.all(), NDArrayIndex.interval(3, 6));            // [6, 3], row stride 9
        INDArray c = flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(101, 101 + 12)).reshape('c', 4, 3);
        INDArray before = flat.dup();
        double[][] expected = naive(a.dup(), b.dup(), c.dup(), false, false, 1.0, 1.0);
        Gemm.gemm(a, b, c, false, false, 1.0, 1.0);
        assertProduct(expected, c, 1e-12);
        for (int i = 0; i < 200; i++) {
            if (i < 101 || i >= 113) {
                assertEquals(before.getDouble(0, i), flat.getDouble(0, i), 0.0, "flat[" + i + "] outside c changed");
            }
        }
    }

    @Test
    void fortranOrderArraysFallBackToNd4jAndStillMatch() {
        INDArray a = Nd4j.randn(DataType.DOUBLE, 4, 5).dup('f');
        INDArray b = Nd4j.randn(DataType.DOUBLE, 5, 2);
        INDArray c = Nd4j.zeros(DataType.DOUBLE, 4, 2);
        Gemm.gemm(a, b, c, false, false, 1.0, 0.0);
        assertProduct(naive(a, b, Nd4j.zeros(DataType.DOUBLE, 4, 2), false, false, 1.0, 0.0), c, 1e-12);
    }

    @Test
    void mismatchedShapesAreRejectedWithTheShapes() {
        INDArray a = Nd4j.zeros(DataType.FLOAT, 4, 5);
        INDArray b = Nd4j.zeros(DataType.FLOAT, 4, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.gemm(a, b, Nd4j.zeros(DataType.FLOAT, 4, 2), false, false, 1.0, 0.0));
        assertEquals("gemm shapes do not match: a [4, 5], b [4, 2], c [4, 2]", e.getMessage());
    }
}
