package io.sparkformer.model.kernel;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.sparkformer.InputException;
import io.sparkformer.config.ConfigException;
import io.sparkformer.config.TrainConfig.Precision;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.ref.Reference;

/**
 * The model's matrix products, {@code Nd4j.gemm}'s contract, on one of two libraries. In fp32 a small
 * product (at most {@link #SMALL_FP32} multiply-adds per matrix: the baby GPT's layers, attention's
 * per-head products) is oneDNN's fp32 matmul, a larger one ND4J's (OpenBLAS): timed alone, OpenBLAS's
 * two threads lost up to 8x on the small ones and oneDNN up to 2.4x on the large ones (README
 * "Performance"). With {@code train.precision = bf16} every product is oneDNN's bf16 matmul
 * ({@link OneDnnMatmul}: inputs rounded to bf16, fp32 accumulation and output). The precision is the
 * calling thread's, set by the model layer for the duration of a forward or backward pass
 * ({@link #at}); oneDNN runs on the task's thread budget (its share of the cores, {@link KernelThreads#budget}).
 * Products outside such a scope (decoding, export) are fp32. ND4J computes whatever oneDNN cannot
 * take: double arrays (gradient checks), other backends, non-positive strides, a JVM that cannot load
 * oneDNN (fp32 only; bf16 then refuses at configuration). {@code SPARKFORMER_FP32_GEMM} (environment:
 * {@code auto}, {@code nd4j}, {@code onednn}) overrides the fp32 split for A/B measurements.
 */
public final class Gemm {
    private static final Logger LOG = LoggerFactory.getLogger(Gemm.class);
    private static final ThreadLocal<Precision> PRECISION = ThreadLocal.withInitial(() -> Precision.FP32);
    /** fp32 products of at most this many multiply-adds per matrix go to oneDNN, larger ones to ND4J. */
    public static final long SMALL_FP32 = 1L << 26;
    private static volatile long smallFp32 = SMALL_FP32;
    private static volatile Fp32Route fp32Route = fp32Route();
    private static volatile boolean announced;

    /** How fp32 products are split between the libraries: by size, or all to one. */
    public enum Fp32Route { AUTO, ND4J, ONEDNN }

    /** Which library computes a product, in which precision. */
    enum Route { ND4J, ONEDNN_FP32, ONEDNN_BF16 }

    /** Whether oneDNN loads in this JVM, tried once, on the first fp32 product it would take. */
    private static final class OneDnnLoads {
        static final boolean YES = tryLoad();

        private static boolean tryLoad() {
            try {
                OneDnnMatmul.amx();
                return true;
            } catch (LinkageError | IllegalStateException e) {
                LOG.info("fp32 matrix products all through ND4J: oneDNN does not load here ({})", e.toString());
                return false;
            }
        }
    }

    private Gemm() {
    }

    /** Restores the thread's previous precision. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** Runs this thread's products at {@code precision} until the scope closes. */
    public static Scope at(Precision precision) {
        Precision previous = PRECISION.get();
        PRECISION.set(precision);
        return () -> PRECISION.set(previous);
    }

    /**
     * Refuses with one line (exit 2) if {@code precision} cannot run in this JVM (bf16: oneDNN's natives
     * missing or not loadable); called where a run is configured, before any work.
     */
    public static void requireAvailable(Precision precision) {
        if (precision == Precision.BF16) {
            try {
                announce();
            } catch (LinkageError | IllegalStateException e) {
                Throwable cause = e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
                throw new ConfigException("train.precision = bf16 is not available here: " + cause.getMessage(), e);
            }
        }
    }

    /**
     * Sets the fp32 split for this JVM, in place of {@code SPARKFORMER_FP32_GEMM}: for benchmarks that
     * alternate splits within one process (bench/gemm/RouteAB.java).
     */
    public static void fp32Route(Fp32Route route, long smallMacs) {
        fp32Route = route;
        smallFp32 = smallMacs;
    }

    /** Whether this CPU runs bf16 products on AMX tiles (loads oneDNN). */
    public static boolean amx() {
        return OneDnnMatmul.amx();
    }

    /** op(a) op(b) as a new row-major [M, N] array. */
    public static INDArray multiply(INDArray a, INDArray b, boolean transposeA, boolean transposeB) {
        if (a.rank() != 2 || b.rank() != 2) {
            return Nd4j.gemm(a, b, transposeA, transposeB);
        }
        long m = transposeA ? a.size(1) : a.size(0);
        long n = transposeB ? b.size(0) : b.size(1);
        Route route = route(m * n * (transposeA ? a.size(0) : a.size(1)), a, b);
        if (route == Route.ND4J) {
            return Nd4j.gemm(a, b, transposeA, transposeB);
        }
        INDArray c = Nd4j.createUninitialized(DataType.FLOAT, m, n);
        product(route, a, b, c, transposeA, transposeB, false);
        return c;
    }

    /** {@code c = op(a) op(b) + beta c} for beta 0 or 1; returns c. */
    public static INDArray multiply(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB,
                                    double beta) {
        if (beta != 0 && beta != 1) {
            throw new IllegalArgumentException("beta must be 0 or 1, not " + beta);
        }
        Route route = a.rank() != 2 || c.rank() != 2 || c.stride(1) != 1 && c.size(1) > 1 ? Route.ND4J
                : route(c.size(0) * c.size(1) * (transposeA ? a.size(0) : a.size(1)), a, b, c);
        if (route == Route.ND4J) {
            return Nd4j.gemm(a, b, c, transposeA, transposeB, 1.0, beta);
        }
        product(route, a, b, c, transposeA, transposeB, beta == 1);
        return c;
    }

    /**
     * {@code Nd4j.matmul(a, b, c, transposeA, transposeB, false)} for rank-3 arrays, one product per
     * leading index (attention's per-head products): c [G, M, N] = op(a) [G, M, K] op(b) [G, K, N],
     * into {@code c} or, when it is null, a new row-major array.
     */
    public static INDArray batched(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB) {
        Route route = a.rank() != 3 || c != null && c.stride(2) != 1 && c.size(2) > 1 ? Route.ND4J
                : route((transposeA ? a.size(2) : a.size(1)) * (transposeB ? b.size(1) : b.size(2))
                        * (transposeA ? a.size(1) : a.size(2)), c == null ? new INDArray[]{a, b} : new INDArray[]{a, b, c});
        if (route == Route.ND4J) {
            return Nd4j.matmul(a, b, c, transposeA, transposeB, false);
        }
        if (c == null) {
            c = Nd4j.createUninitialized(DataType.FLOAT, a.size(0), transposeA ? a.size(2) : a.size(1),
                    transposeB ? b.size(1) : b.size(2));
        }
        product(route, a, b, c, transposeA, transposeB, false);
        return c;
    }

    private static void product(Route route, INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB,
                                boolean accumulate) {
        int r = c.rank() - 2;    // the two matrix axes; a leading batch axis when rank 3
        long batch = r == 0 ? 1 : c.size(0);
        long m = c.size(r);
        long n = c.size(r + 1);
        long k = transposeA ? a.size(r) : a.size(r + 1);
        if ((transposeA ? a.size(r + 1) : a.size(r)) != m || (transposeB ? b.size(r) : b.size(r + 1)) != n
                || (transposeB ? b.size(r + 1) : b.size(r)) != k || r == 1 && (a.size(0) != batch || b.size(0) != batch)) {
            throw new IllegalArgumentException("matrix product of " + java.util.Arrays.toString(a.shape())
                    + (transposeA ? "^T" : "") + " and " + java.util.Arrays.toString(b.shape()) + (transposeB ? "^T" : "")
                    + " into " + java.util.Arrays.toString(c.shape()));
        }
        long[] as = strides(a, transposeA);
        long[] bs = strides(b, transposeB);
        long[] cs = strides(c, false);
        if (route == Route.ONEDNN_BF16) {
            announce();
        }
        OneDnnMatmul.multiply(new OneDnnMatmul.Layout(batch, m, n, k, as[2], as[0], as[1], bs[2], bs[0], bs[1], cs[2],
                cs[0], cs[1], accumulate, route == Route.ONEDNN_BF16), address(a), address(b), address(c), KernelThreads.budget());
        // oneDNN reads and writes through raw addresses: an array unreachable after address() could be
        // collected, and its off-heap memory freed, during the call (outside workspaces).
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(c);
    }

    /** Where a product of {@code macs} multiply-adds per matrix over {@code arrays} runs. */
    static Route route(long macs, INDArray... arrays) {
        if (!Nd4j.getEnvironment().isCPU()) {
            return Route.ND4J;
        }
        for (INDArray x : arrays) {
            if (x.dataType() != DataType.FLOAT || x.rank() != arrays[0].rank() || x.isEmpty()) {
                return Route.ND4J;
            }
            for (long stride : x.stride()) {
                if (stride <= 0) {
                    return Route.ND4J;
                }
            }
        }
        if (PRECISION.get() == Precision.BF16) {
            return Route.ONEDNN_BF16;
        }
        boolean oneDnn = switch (fp32Route) {
            case ND4J -> false;
            case ONEDNN -> true;
            case AUTO -> macs <= smallFp32;
        };
        return oneDnn && OneDnnLoads.YES ? Route.ONEDNN_FP32 : Route.ND4J;
    }

    /**
     * Row, column and batch strides of op(x) over its last two axes (batch 0 for a matrix); a unit
     * axis gets the stride a dense array would have.
     */
    private static long[] strides(INDArray x, boolean transpose) {
        int r = x.rank() - 2;
        long rows = x.size(r);
        long cols = x.size(r + 1);
        long rowStride = x.stride(r);
        long colStride = x.stride(r + 1);
        if (cols == 1) {
            colStride = 1;
        }
        if (rows == 1) {
            rowStride = cols * colStride;
        }
        long batchStride = r == 0 ? 0 : x.size(0) == 1 ? rows * cols : x.stride(0);
        return transpose ? new long[]{colStride, rowStride, batchStride} : new long[]{rowStride, colStride, batchStride};
    }

    private static Fp32Route fp32Route() {
        String v = System.getenv("SPARKFORMER_FP32_GEMM");
        if (v == null || v.isBlank()) {
            return Fp32Route.AUTO;
        }
        try {
            return Fp32Route.valueOf(v.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InputException("SPARKFORMER_FP32_GEMM must be auto, nd4j or onednn, got '" + v + "'");
        }
    }

    private static long address(INDArray x) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(x.data().asNio())) + x.offset() * Float.BYTES;
    }

    private static void announce() {
        if (!announced) {
            boolean amx = OneDnnMatmul.amx();
            announced = true;
            LOG.info("train.precision = bf16: matrix products through oneDNN, {}", amx
                    ? "on AMX bf16 tiles"
                    : "but this CPU has no AMX (oneDNN computes them in fp32)");
        }
    }
}
