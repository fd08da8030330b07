package io.sparkformer.model.nn;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Row-major matrix products {@code c = alpha op(a) op(b) + beta c} for [rows, cols] arrays, as one
 * direct {@code cblas_sgemm}/{@code cblas_dgemm} call into the OpenBLAS that ND4J's CPU backend has
 * loaded, on the arrays' own off-heap buffers. Any other case (another backend, a mixed or
 * non-float type, an array whose columns are not unit-stride) goes through {@link Nd4j#gemm}.
 *
 * <p>Why: ND4J routes every product through its {@code matmul} custom op, whose per-call work
 * (building the op, shape and type checks, output views) made the baby GPT's small products
 * ([768,128] x [128,384] and the like) 1.5-2.5x slower per call than PyTorch's calls into the same
 * OpenBLAS kernels; see bench/gemm-inventory.sh and README "Performance".
 */
public final class Gemm {
    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private static final int TRANS = 112;
    private static final String BINDINGS = "org.bytedeco.openblas.global.openblas_nolapack";
    /** cblas_sgemm and cblas_dgemm of the bindings, or null without them (looked up, not linked, so
     *  that common compiles for the CUDA backend, which ships no OpenBLAS). */
    private static final MethodHandle SGEMM = cblas("cblas_sgemm", float.class, FloatPointer.class);
    private static final MethodHandle DGEMM = cblas("cblas_dgemm", double.class, DoublePointer.class);
    private static final boolean DIRECT = SGEMM != null && DGEMM != null
            && Nd4j.getBackend().getClass().getName().contains("CpuBackend");

    private Gemm() {
    }

    /** op(a) op(b) into a new 'c'-order array (in the current workspace, if any). */
    public static INDArray gemm(INDArray a, INDArray b, boolean transposeA, boolean transposeB) {
        long rows = transposeA ? a.size(1) : a.size(0);
        long cols = transposeB ? b.size(0) : b.size(1);
        INDArray c = Nd4j.createUninitialized(a.dataType(), rows, cols);
        return gemm(a, b, c, transposeA, transposeB, 1.0, 0.0);
    }

    /** c = alpha op(a) op(b) + beta c; returns c. */
    public static INDArray gemm(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB,
                                double alpha, double beta) {
        if (!direct(a, b, c)) {
            return Nd4j.gemm(a, b, c, transposeA, transposeB, alpha, beta);
        }
        long m = c.size(0);
        long n = c.size(1);
        long k = transposeA ? a.size(0) : a.size(1);
        if ((transposeA ? a.size(1) : a.size(0)) != m || (transposeB ? b.size(1) : b.size(0)) != k
                || (transposeB ? b.size(0) : b.size(1)) != n) {
            throw new IllegalArgumentException("gemm shapes do not match: a " + java.util.Arrays.toString(a.shape())
                    + (transposeA ? "^T" : "") + ", b " + java.util.Arrays.toString(b.shape()) + (transposeB ? "^T" : "")
                    + ", c " + java.util.Arrays.toString(c.shape()));
        }
        if (m == 0 || n == 0) {
            return c;
        }
        int ta = transposeA ? TRANS : NO_TRANS;
        int tb = transposeB ? TRANS : NO_TRANS;
        int lda = (int) leading(a);
        int ldb = (int) leading(b);
        int ldc = (int) leading(c);
        try {
            if (c.dataType() == DataType.FLOAT) {
                SGEMM.invokeExact(ROW_MAJOR, ta, tb, (int) m, (int) n, (int) k, (float) alpha,
                        (FloatPointer) a.data().addressPointer(), lda, (FloatPointer) b.data().addressPointer(), ldb,
                        (float) beta, (FloatPointer) c.data().addressPointer(), ldc);
            } else {
                DGEMM.invokeExact(ROW_MAJOR, ta, tb, (int) m, (int) n, (int) k, alpha,
                        (DoublePointer) a.data().addressPointer(), lda, (DoublePointer) b.data().addressPointer(), ldb,
                        beta, (DoublePointer) c.data().addressPointer(), ldc);
            }
        } catch (Throwable e) {
            throw new IllegalStateException("cblas gemm failed", e);
        }
        return c;
    }

    /** Distance between rows: the row stride, at least 1 (BLAS's lda for a row-major matrix). */
    private static long leading(INDArray x) {
        return Math.max(1, x.size(0) == 1 ? x.size(1) : x.stride(0));
    }

    private static boolean direct(INDArray a, INDArray b, INDArray c) {
        if (!DIRECT) {
            return false;
        }
        DataType t = c.dataType();
        return (t == DataType.FLOAT || t == DataType.DOUBLE) && a.dataType() == t && b.dataType() == t
                && rowMajor(a) && rowMajor(b) && rowMajor(c) && !a.isEmpty() && !b.isEmpty();
    }

    /** A matrix BLAS can read row-major: rank 2, unit column stride, rows at least a row apart. */
    private static boolean rowMajor(INDArray x) {
        return x.rank() == 2 && (x.size(1) == 1 || x.stride(1) == 1)
                && (x.size(0) == 1 || x.stride(0) >= x.size(1)) && x.stride(0) <= Integer.MAX_VALUE;
    }

    private static MethodHandle cblas(String name, Class<?> scalar, Class<?> pointer) {
        try {
            MethodType type = MethodType.methodType(void.class, new Class<?>[] {int.class, int.class, int.class,
                int.class, int.class, int.class, scalar, pointer, int.class, pointer, int.class, scalar, pointer,
                int.class});
            return MethodHandles.publicLookup().findStatic(Class.forName(BINDINGS), name, type);
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }
}
