package io.sparkformer.model.kernel;

import io.sparkformer.config.TrainConfig.Precision;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Products of both precisions against an exact (double) reference, with the bound rounding allows.
 * bf16: each input is rounded to 8 significant bits (relative error at most 2^-9), so each term a*b
 * is off by at most ~2^-8 of |a||b|, and the whole product by 2^-8 * sum |a||b| (plus fp32
 * accumulation). fp32 (oneDNN for small products, ND4J for large): a sum of k terms in fp32 is off
 * by at most ~k 2^-24 sum |a||b|.
 */
class GemmTest {
    private static final double BF16_TERM = Math.pow(2, -8) * 1.01;

    @Test
    void everyTransposeAndAccumulationIsWithinRoundingOfTheExactProduct() {
        for (Precision p : Precision.values()) {
            everyTransposeAndAccumulation(p);
        }
    }

    private static void everyTransposeAndAccumulation(Precision p) {
        Nd4j.getRandom().setSeed(11);
        long m = 37, n = 29, k = 70;   // odd sizes: no kernel gets a whole tile
        for (boolean ta : new boolean[]{false, true}) {
            for (boolean tb : new boolean[]{false, true}) {
                INDArray a = Nd4j.randn(DataType.FLOAT, ta ? k : m, ta ? m : k);
                INDArray b = Nd4j.randn(DataType.FLOAT, tb ? n : k, tb ? k : n);
                INDArray c0 = Nd4j.randn(DataType.FLOAT, m, n);
                INDArray exact = exact(a, b, ta, tb);
                INDArray fresh;
                INDArray accumulated = c0.dup();
                try (Gemm.Scope ignored = Gemm.at(p)) {
                    fresh = Gemm.multiply(a, b, ta, tb);
                    Gemm.multiply(a, b, accumulated, ta, tb, 1.0);
                }
                String what = p + " " + (ta ? "T" : "N") + (tb ? "T" : "N");
                assertWithin(p, exact, fresh, a, b, ta, tb, what);
                assertWithin(p, exact.add(c0.castTo(DataType.DOUBLE)), accumulated, a, b, ta, tb, what + " beta 1");
            }
        }
    }

    @Test
    void batchedProductsOfEveryTransposeWriteIntoSlicesOfAStack() {
        for (Precision p : Precision.values()) {
            batchedProductsIntoSlices(p);
        }
    }

    private static void batchedProductsIntoSlices(Precision p) {
        Nd4j.getRandom().setSeed(15);
        long g = 6, m = 19, n = 23, k = 13;   // attention's shapes: heads x queries x keys x head width
        for (boolean ta : new boolean[]{false, true}) {
            for (boolean tb : new boolean[]{false, true}) {
                INDArray a = Nd4j.randn(DataType.FLOAT, g, ta ? k : m, ta ? m : k);
                INDArray b = Nd4j.randn(DataType.FLOAT, g, tb ? n : k, tb ? k : n);
                INDArray stack = Nd4j.zeros(DataType.FLOAT, 2, g, m, n);
                INDArray into = stack.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
                INDArray fresh;
                try (Gemm.Scope ignored = Gemm.at(p)) {
                    fresh = Gemm.batched(a, b, null, ta, tb);
                    Gemm.batched(a, b, into, ta, tb);
                }
                for (int i = 0; i < g; i++) {
                    INDArray ai = a.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all());
                    INDArray bi = b.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all());
                    INDArray exact = exact(ai, bi, ta, tb);
                    String what = p + " batch " + i + " " + (ta ? "T" : "N") + (tb ? "T" : "N");
                    assertWithin(p, exact, fresh.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all()),
                            ai, bi, ta, tb, what);
                    assertWithin(p, exact, into.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all()),
                            ai, bi, ta, tb, what + " into a slice");
                }
                assertEquals(0.0, stack.get(NDArrayIndex.point(0)).norm1Number().doubleValue(), "the other slice untouched");
            }
        }
    }

    @Test
    void concurrentProductsOnTwoThreadsGiveWhatEachGivesAlone() throws Exception {
        // Two Spark tasks of local[N] multiply at once in one JVM: each must see only its own data,
        // also in oneDNN's scratch buffers (a transposed operand is copied into one: x^T dy).
        Nd4j.getRandom().setSeed(16);
        INDArray[] as = {Nd4j.randn(DataType.FLOAT, 384, 128), Nd4j.randn(DataType.FLOAT, 384, 512)};
        INDArray[] bs = {Nd4j.randn(DataType.FLOAT, 384, 384), Nd4j.randn(DataType.FLOAT, 384, 128)};
        INDArray[] alone = new INDArray[2];
        for (int i = 0; i < 2; i++) {
            try (Gemm.Scope ignored = Gemm.at(Precision.BF16)) {
                alone[i] = Gemm.multiply(as[i], bs[i], true, false);
            }
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<Integer>> mismatches = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int task = i;
                mismatches.add(pool.submit(() -> {
                    int wrong = 0;
                    try (Gemm.Scope ignored = Gemm.at(Precision.BF16)) {
                        for (int rep = 0; rep < 300; rep++) {
                            if (!alone[task].equals(Gemm.multiply(as[task], bs[task], true, false))) {
                                wrong++;
                            }
                        }
                    }
                    return wrong;
                }));
            }
            assertEquals(0, mismatches.get(0).get() + mismatches.get(1).get(), "products that differ from the same product alone");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void oneDnnRunsOnNd4jsThreadBudget() {
        // A Spark task sets ND4J's budget to its share of the cores (RoundData); oneDNN must follow it.
        int before = Nd4j.getEnvironment().maxMasterThreads();
        INDArray a = Nd4j.randn(DataType.FLOAT, 64, 64);
        try (Gemm.Scope ignored = Gemm.at(Precision.BF16)) {
            for (int threads : new int[]{1, 2, 1}) {
                Nd4j.getEnvironment().setMaxMasterThreads(threads);   // as a Spark task does (RoundData)
                Nd4j.getEnvironment().setMaxThreads(threads);
                Gemm.multiply(a, a, false, false);
                assertEquals(threads, OpenMp.omp_get_max_threads(), "OpenMP threads of this thread");
            }
        } finally {
            Nd4j.getEnvironment().setMaxMasterThreads(before);
        }
    }

    @Test
    void shapesBeyondThoseKeptAreComputedAndNotKept() {
        // Batches padded to their longest sequence bring a new shape per length: the cache must stop.
        Nd4j.getRandom().setSeed(17);
        INDArray b = Nd4j.randn(DataType.FLOAT, 8, 5);
        try (Gemm.Scope ignored = Gemm.at(Precision.BF16)) {
            for (int rows = 1; OneDnnMatmul.kept() < OneDnnMatmul.KEPT; rows++) {
                Gemm.multiply(Nd4j.randn(DataType.FLOAT, 1000 + rows, 8), b, false, false);
            }
            for (int rows = 1; rows <= 20; rows++) {
                INDArray a = Nd4j.randn(DataType.FLOAT, 5000 + rows, 8);
                assertWithin(Precision.BF16, exact(a, b, false, false), Gemm.multiply(a, b, false, false), a, b, false, false,
                        "beyond the kept shapes, " + rows);
            }
        }
        assertEquals(OneDnnMatmul.KEPT, OneDnnMatmul.kept());
    }

    @Test
    void stridedViewsAreReadInPlace() {
        for (Precision p : Precision.values()) {
            stridedViews(p);
        }
    }

    private static void stridedViews(Precision p) {
        Nd4j.getRandom().setSeed(12);
        INDArray wide = Nd4j.randn(DataType.FLOAT, 40, 90);
        INDArray a = wide.get(NDArrayIndex.all(), NDArrayIndex.interval(5, 75));     // [40, 70], row stride 90
        INDArray b = Nd4j.randn(DataType.FLOAT, 70, 33);
        INDArray target = Nd4j.zeros(DataType.FLOAT, 40, 60);
        INDArray c = target.get(NDArrayIndex.all(), NDArrayIndex.interval(10, 43));  // [40, 33], row stride 60
        try (Gemm.Scope ignored = Gemm.at(p)) {
            Gemm.multiply(a, b, c, false, false, 0.0);
        }
        assertWithin(p, exact(a, b, false, false), c, a, b, false, false, p + " views");
        assertEquals(0.0, target.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 10)).norm1Number().doubleValue(),
                "columns outside the output view untouched");
        assertEquals(0.0, target.get(NDArrayIndex.all(), NDArrayIndex.interval(43, 60)).norm1Number().doubleValue());
    }

    @Test
    void bf16RoundsItsInputsWhereTheCpuHasBf16Hardware() {
        Nd4j.getRandom().setSeed(13);
        INDArray a = Nd4j.randn(DataType.FLOAT, 64, 256);
        INDArray b = Nd4j.randn(DataType.FLOAT, 256, 64);
        INDArray fp32 = Nd4j.gemm(a, b, false, false);
        INDArray bf16;
        try (Gemm.Scope ignored = Gemm.at(Precision.BF16)) {
            bf16 = Gemm.multiply(a, b, false, false);
        }
        double fp32Error = exact(a, b, false, false).sub(fp32.castTo(DataType.DOUBLE)).norm2Number().doubleValue();
        double bf16Error = exact(a, b, false, false).sub(bf16.castTo(DataType.DOUBLE)).norm2Number().doubleValue();
        if (OneDnnMatmul.amx()) {
            // 8 significant bits instead of 24: the error grows by orders of magnitude (a fallback to fp32 would not).
            assertTrue(bf16Error > 100 * fp32Error, "bf16 error " + bf16Error + " vs fp32 " + fp32Error);
        } else {
            assertTrue(bf16Error < 10 * fp32Error + 1e-4, "without bf16 hardware oneDNN computes in fp32: " + bf16Error);
        }
    }

    @Test
    void fp32ProductsGoToOneDnnWhenSmallToNd4jWhenLargeAndDoublesAlwaysToNd4j() {
        Nd4j.getRandom().setSeed(14);
        INDArray a = Nd4j.randn(DataType.FLOAT, 9, 17);
        INDArray b = Nd4j.randn(DataType.FLOAT, 17, 5);
        assertEquals(Gemm.Route.ONEDNN_FP32, Gemm.route(9 * 5 * 17, a, b), "small fp32");
        assertEquals(Gemm.Route.ND4J, Gemm.route(Gemm.SMALL_FP32 + 1, a, b), "large fp32");
        INDArray ad = a.castTo(DataType.DOUBLE);
        INDArray bd = b.castTo(DataType.DOUBLE);
        try (Gemm.Scope outer = Gemm.at(Precision.BF16)) {
            assertEquals(Gemm.Route.ONEDNN_BF16, Gemm.route(Gemm.SMALL_FP32 + 1, a, b), "bf16, whatever the size");
            assertEquals(Gemm.Route.ND4J, Gemm.route(1, ad, bd), "doubles: the exact path");
            assertEquals(Nd4j.gemm(ad, bd, false, false), Gemm.multiply(ad, bd, false, false), "doubles: the exact path");
            try (Gemm.Scope inner = Gemm.at(Precision.FP32)) {
                assertEquals(Gemm.Route.ONEDNN_FP32, Gemm.route(9 * 5 * 17, a, b), "inner fp32 scope");
            }
        }
        // A product just over the split is ND4J's own, bit for bit.
        INDArray la = Nd4j.randn(DataType.FLOAT, 512, 257);
        INDArray lb = Nd4j.randn(DataType.FLOAT, 257, 512);
        assertTrue(512L * 512 * 257 > Gemm.SMALL_FP32);
        assertEquals(Nd4j.gemm(la, lb, false, false), Gemm.multiply(la, lb, false, false), "large fp32: ND4J");
    }

    private static INDArray exact(INDArray a, INDArray b, boolean ta, boolean tb) {
        return Nd4j.gemm(a.castTo(DataType.DOUBLE), b.castTo(DataType.DOUBLE), ta, tb);
    }

    private static void assertWithin(Precision p, INDArray exact, INDArray actual, INDArray a, INDArray b, boolean ta,
                                     boolean tb, String what) {
        long k = ta ? a.size(a.rank() - 2) : a.size(a.rank() - 1);
        double term = p == Precision.BF16 ? BF16_TERM : (k + 2) * Math.pow(2, -24) * 1.01;
        INDArray bound = exact(Nd4j.math().abs(a.dup()), Nd4j.math().abs(b.dup()), ta, tb).muli(term).addi(p == Precision.BF16 ? 1e-5 : 1e-6);
        INDArray error = Nd4j.math().abs(exact.sub(actual.castTo(DataType.DOUBLE)));
        INDArray over = error.sub(bound);
        assertTrue(over.maxNumber().doubleValue() <= 0, what + ": error " + error.maxNumber() + " exceeds the " + p + " bound");
    }
}
