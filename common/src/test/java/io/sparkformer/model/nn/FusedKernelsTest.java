package io.sparkformer.model.nn;

import io.sparkformer.model.kernel.Kernels;
import io.sparkformer.model.kernel.Kernels.Kernel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each Vector API kernel against the ND4J reference path it replaces, on seeded random floats whose
 * sizes are not multiples of any vector length (so the scalar tails run too), forward and backward;
 * and the reference path for doubles and strided views.
 */
class FusedKernelsTest {
    /** Largest |kernel - reference| allowed, relative to max(1, |reference|): float rounding only. */
    private static final double TOLERANCE = 1e-5;

    @BeforeAll
    static void seed() {
        Nd4j.getRandom().setSeed(15);
    }

    @Test
    void everyKernelIsActiveInTheTestJvm() {
        // The build passes --add-modules=jdk.incubator.vector; without it every comparison below would
        // compare the reference with itself.
        assertEquals(EnumSet.allOf(Kernel.class), EnumSet.copyOf(Kernels.active()));
    }

    @Test
    void geluForwardMatchesNd4j() {
        INDArray x = Nd4j.randn(DataType.FLOAT, 37, 53).muli(3);
        assertTrue(Kernels.accepts(Kernel.GELU, x));
        INDArray[] s = new INDArray[1];
        INDArray[] sRef = new INDArray[1];
        INDArray y = Gelu.forward(x, s);
        INDArray yRef = Gelu.forwardNd4j(x, sRef);
        assertClose(yRef, y, "gelu y");
        assertClose(sRef[0], s[0], "gelu sigmoid");
    }

    @Test
    void geluWithItsBiasMatchesNd4jAndLeavesTheBiasedInputForTheBackward() {
        INDArray x = Nd4j.randn(DataType.FLOAT, 29, 51).muli(3);
        INDArray bias = Nd4j.randn(DataType.FLOAT, 51);
        INDArray biased = x.addRowVector(bias);
        INDArray[] s = new INDArray[1];
        INDArray[] sRef = new INDArray[1];
        INDArray yRef = Gelu.forwardNd4j(biased, sRef);
        INDArray y = Gelu.forward(x, bias, s);
        assertClose(yRef, y, "gelu(x + b) y");
        assertClose(sRef[0], s[0], "gelu(x + b) sigmoid");
        assertClose(biased, x, "x + b in place");
    }

    @Test
    void geluBackwardMatchesNd4j() {
        INDArray x = Nd4j.randn(DataType.FLOAT, 41, 19).muli(3);
        INDArray dy = Nd4j.randn(DataType.FLOAT, 41, 19);
        assertTrue(Kernels.accepts(Kernel.GELU, x, dy));
        INDArray[] s = new INDArray[1];
        Gelu.forwardNd4j(x, s);
        assertClose(Gelu.backwardNd4j(x, s[0], dy), Gelu.backward(x, s[0], dy), "gelu dx");
    }

    @Test
    void layerNormForwardMatchesNd4j() {
        INDArray x = Nd4j.randn(DataType.FLOAT, 29, 77).muli(2).addi(0.5);
        INDArray gain = Nd4j.randn(DataType.FLOAT, 77);
        INDArray bias = Nd4j.randn(DataType.FLOAT, 77);
        assertTrue(Kernels.accepts(Kernel.LAYERNORM, x, gain, bias));
        LayerNorm.Cache[] c = new LayerNorm.Cache[1];
        LayerNorm.Cache[] cRef = new LayerNorm.Cache[1];
        INDArray y = LayerNorm.forward(x, gain, bias, 1e-5, c);
        INDArray yRef = LayerNorm.forwardNd4j(x, gain, bias, 1e-5, cRef);
        assertClose(yRef, y, "layernorm y");
        assertClose(cRef[0].xhat(), c[0].xhat(), "layernorm xhat");
        assertClose(cRef[0].rstd(), c[0].rstd(), "layernorm rstd");
    }

    @Test
    void layerNormBackwardMatchesNd4jAndAccumulatesIntoGainAndBiasGradients() {
        INDArray x = Nd4j.randn(DataType.FLOAT, 31, 45);
        INDArray gain = Nd4j.randn(DataType.FLOAT, 45);
        INDArray bias = Nd4j.randn(DataType.FLOAT, 45);
        INDArray dy = Nd4j.randn(DataType.FLOAT, 31, 45);
        LayerNorm.Cache[] c = new LayerNorm.Cache[1];
        LayerNorm.forwardNd4j(x, gain, bias, 1e-5, c);
        // Gradients are views into one flat gradient that already holds other contributions.
        INDArray flat = Nd4j.randn(DataType.FLOAT, 1, 3 + 2 * 45);
        INDArray flatRef = flat.dup();
        assertTrue(Kernels.accepts(Kernel.LAYERNORM, c[0].xhat(), c[0].rstd(), gain, dy, view(flat, 3, 45),
                view(flat, 48, 45)), "gradient views inside a flat gradient take the kernel");
        INDArray dx = LayerNorm.backward(c[0], gain, dy, view(flat, 3, 45), view(flat, 48, 45));
        INDArray dxRef = LayerNorm.backwardNd4j(c[0], gain, dy, view(flatRef, 3, 45), view(flatRef, 48, 45));
        assertClose(dxRef, dx, "layernorm dx");
        assertClose(flatRef, flat, "layernorm dgain, dbias");
    }

    @Test
    void attentionSoftmaxWithABiasMatchesNd4j() {
        INDArray scores = Nd4j.randn(DataType.FLOAT, 3, 13, 29).muli(4);
        INDArray bias = Nd4j.randn(DataType.FLOAT, 3, 13, 29);
        bias.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(20, 29)).assign(Attention.MASKED);
        INDArray ref = Attention.softmaxNd4j(scores.dup(), 0.3, bias);
        INDArray probs = scores.dup();
        assertTrue(Kernels.accepts(Kernel.SOFTMAX, probs, bias));
        Kernels.attentionSoftmax(probs, 0.3f, bias, false);
        assertClose(ref, probs, "softmax with bias");
        INDArray dProbs = Nd4j.randn(DataType.FLOAT, 3, 13, 29);
        INDArray dRef = Attention.softmaxBackwardNd4j(ref, dProbs.dup(), 0.3);
        Kernels.attentionSoftmaxBackward(probs, dProbs, 0.3f, false);
        assertClose(dRef, dProbs, "softmax backward");
    }

    @Test
    void causalSoftmaxMasksByIndexExactlyAsTheCausalBias() {
        INDArray bias = AttentionMask.bias(2, 3, 37, 37, true, null, DataType.FLOAT);   // [6, 37, 37]
        assertTrue(AttentionMask.isCausal(bias), "the cached causal bias is recognised");
        assertFalse(AttentionMask.isCausal(bias.dup()), "an equal copy is not (it could be written to)");
        INDArray scores = Nd4j.randn(DataType.FLOAT, 6, 37, 37).muli(4);
        INDArray ref = Attention.softmaxNd4j(scores.dup(), 0.25, bias);
        INDArray probs = scores.dup();
        Kernels.attentionSoftmax(probs, 0.25f, null, true);
        assertClose(ref, probs, "causal softmax");
        assertEquals(0f, probs.getFloat(4, 10, 11), "a later key has probability exactly 0");
        INDArray dProbs = Nd4j.randn(DataType.FLOAT, 6, 37, 37);
        INDArray dRef = Attention.softmaxBackwardNd4j(ref, dProbs.dup(), 0.25);
        Kernels.attentionSoftmaxBackward(probs, dProbs, 0.25f, true);
        assertClose(dRef, dProbs, "causal softmax backward");
    }

    @Test
    void causalRowsOfWholeVectorsAreExactAndZeroPastTheQuery() {
        // 64 and 256 keys: multiples of every vector length, so each row runs in whole vectors, the
        // one holding the query's own key masked lane by lane, and the rest is written as zeros.
        for (int t : new int[]{64, 256}) {
            INDArray bias = AttentionMask.bias(1, 3, t, t, true, null, DataType.FLOAT);      // [3, t, t]
            INDArray scores = Nd4j.randn(DataType.FLOAT, 3, t, t).muli(4);
            INDArray ref = Attention.softmaxNd4j(scores.dup(), 0.125, bias);
            INDArray probs = scores.dup();
            Kernels.attentionSoftmax(probs, 0.125f, null, true);
            assertClose(ref, probs, "causal softmax, " + t + " keys");
            INDArray dProbs = Nd4j.randn(DataType.FLOAT, 3, t, t).muli(7);
            INDArray dRef = Attention.softmaxBackwardNd4j(ref, dProbs.dup(), 0.125);
            Kernels.attentionSoftmaxBackward(probs, dProbs, 0.125f, true);
            assertClose(dRef, dProbs, "causal softmax backward, " + t + " keys");
            for (int q : new int[]{0, 1, 14, 15, 16, 17, t - 2}) {
                assertEquals(1.0, probs.get(NDArrayIndex.point(2), NDArrayIndex.point(q), NDArrayIndex.all())
                        .sumNumber().doubleValue(), 1e-5, "row " + q + " sums to 1");
                for (int k = q + 1; k < t; k++) {
                    assertEquals(0f, probs.getFloat(2, q, k), "probability of key " + k + " for query " + q);
                    // -0 where a masked lane computed (dp - dot) * 0: zero all the same.
                    assertEquals(0.0, dProbs.getFloat(2, q, k), 0.0, "gradient of key " + k + " for query " + q);
                }
            }
        }
    }

    @Test
    void arraysLargeEnoughToSplitOverThreadsMatchNd4j() {
        // Past KernelThreads' threshold each kernel runs in chunks on the task's threads (2 here).
        INDArray x = Nd4j.randn(DataType.FLOAT, 301, 403).muli(3);
        INDArray[] s = new INDArray[1];
        INDArray[] sRef = new INDArray[1];
        assertClose(Gelu.forwardNd4j(x, sRef), Gelu.forward(x, s), "large gelu y");
        INDArray dy = Nd4j.randn(DataType.FLOAT, 301, 403);
        assertClose(Gelu.backwardNd4j(x, sRef[0], dy), Gelu.backward(x, s[0], dy), "large gelu dx");
        INDArray gain = Nd4j.randn(DataType.FLOAT, 403);
        INDArray bias = Nd4j.randn(DataType.FLOAT, 403);
        LayerNorm.Cache[] c = new LayerNorm.Cache[1];
        LayerNorm.Cache[] cRef = new LayerNorm.Cache[1];
        assertClose(LayerNorm.forwardNd4j(x, gain, bias, 1e-5, cRef), LayerNorm.forward(x, gain, bias, 1e-5, c),
                "large layernorm y");
        INDArray flat = Nd4j.zeros(DataType.FLOAT, 1, 2 * 403);
        INDArray flatRef = flat.dup();
        assertClose(LayerNorm.backwardNd4j(cRef[0], gain, dy, view(flatRef, 0, 403), view(flatRef, 403, 403)),
                LayerNorm.backward(c[0], gain, dy, view(flat, 0, 403), view(flat, 403, 403)), "large layernorm dx");
        // Sums over 301 rows in another order (per chunk here, a GEMM with ones in ND4J): float
        // rounding of a 301-term sum, not of one element.
        assertClose(flatRef, flat, "large layernorm dgain, dbias", 301 * TOLERANCE);
        INDArray scores = Nd4j.randn(DataType.FLOAT, 25, 67, 67);
        INDArray causal = AttentionMask.bias(5, 5, 67, 67, true, null, DataType.FLOAT);
        INDArray probs = scores.dup();
        Kernels.attentionSoftmax(probs, 0.125f, null, true);
        assertClose(Attention.softmaxNd4j(scores.dup(), 0.125, causal), probs, "large causal softmax");
    }

    @Test
    void columnSumsAddIntoAGradientViewAsTheGemmWithOnesDoes() {
        // One chunk, split over the threads (odd widths leave a scalar tail, odd heights a row tail),
        // through Reductions, which takes the kernel for every dense float array.
        for (int[] shape : new int[][]{{23, 45}, {1031, 403}, {2053, 517}}) {
            INDArray x = Nd4j.randn(DataType.FLOAT, shape[0], shape[1]);
            INDArray flat = Nd4j.randn(DataType.FLOAT, 1, shape[1] + 10);
            INDArray flatRef = flat.dup();
            INDArray into = view(flat, 5, shape[1]);
            assertTrue(Kernels.accepts(Kernel.SUMS, x, into));
            Reductions.addColumnSums(x, into);
            Nd4j.gemm(Nd4j.ones(DataType.FLOAT, 1, shape[0]), x, view(flatRef, 5, shape[1]).reshape('c', 1, shape[1]),
                    false, false, 1.0, 1.0);
            // A sum of N terms in another order: float rounding of an N-term sum.
            assertClose(flatRef, flat, "column sums " + shape[0] + "x" + shape[1], shape[0] * TOLERANCE);
            assertEquals(flatRef.getFloat(0, 0), flat.getFloat(0, 0), "outside the view untouched");
            assertEquals(flatRef.getFloat(0, shape[1] + 9), flat.getFloat(0, shape[1] + 9), "outside the view untouched");
        }
    }

    @Test
    void tiledAddsMatchNd4jsBroadcastsForBiasesAndPositions() {
        // A bias on every row (a scalar tail; rows enough to split over the threads) ...
        for (int[] shape : new int[][]{{23, 45}, {3001, 131}}) {
            INDArray y = Nd4j.randn(DataType.FLOAT, shape[0], shape[1]);
            INDArray b = Nd4j.randn(DataType.FLOAT, shape[1]);
            INDArray ref = y.dup().addiRowVector(b);
            assertTrue(Kernels.accepts(Kernel.RESIDUAL, y, b));
            Kernels.addTiled(y, b);
            assertClose(ref, y, "bias rows " + shape[0] + "x" + shape[1], 0);
        }
        // ... and the first T rows of a [context, C] position table, a view into a flat parameter
        // vector, on every sequence of [B*T, C] (as Broadcast.add over dimensions 1 and 2).
        int batch = 3;
        int t = 5;
        int c = 37;
        INDArray flat = Nd4j.randn(DataType.FLOAT, 1, 8 * c + 7);
        INDArray pos = view(flat, 7, 8 * c).reshape('c', 8, c).get(NDArrayIndex.interval(0, t), NDArrayIndex.all());
        INDArray x = Nd4j.randn(DataType.FLOAT, batch * t, c);
        INDArray ref = x.dup();
        INDArray ref3 = ref.reshape('c', batch, t, c);
        org.nd4j.linalg.factory.Broadcast.add(ref3, pos, ref3, 1, 2);
        assertTrue(Kernels.accepts(Kernel.RESIDUAL, x, pos));
        Kernels.addTiled(x, pos);
        assertClose(ref, x, "positions on each sequence", 0);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Kernels.addTiled(Nd4j.zeros(DataType.FLOAT, 4, 6), Nd4j.zeros(DataType.FLOAT, 5)));
    }

    @Test
    void residualSublayerOutputMatchesNd4j() {
        INDArray x = Nd4j.randn(DataType.FLOAT, 23, 31);
        INDArray w = Nd4j.randn(DataType.FLOAT, 31, 45);
        INDArray b = Nd4j.randn(DataType.FLOAT, 45);
        INDArray residual = Nd4j.randn(DataType.FLOAT, 23, 45);
        INDArray ref = Nd4j.gemm(x, w, false, false).addiRowVector(b).addi(residual);
        assertClose(ref, Linear.forwardPlus(x, w, b, residual), "bias + residual");
    }

    @Test
    void layerNormBackwardPlusAResidualGradientMatchesNd4j() {
        INDArray x = Nd4j.randn(DataType.FLOAT, 19, 37);
        INDArray gain = Nd4j.randn(DataType.FLOAT, 37);
        INDArray dy = Nd4j.randn(DataType.FLOAT, 19, 37);
        INDArray residual = Nd4j.randn(DataType.FLOAT, 19, 37);
        LayerNorm.Cache[] c = new LayerNorm.Cache[1];
        LayerNorm.forwardNd4j(x, gain, Nd4j.zeros(DataType.FLOAT, 37), 1e-5, c);
        INDArray flat = Nd4j.zeros(DataType.FLOAT, 1, 2 * 37);
        INDArray flatRef = flat.dup();
        INDArray ref = residual.add(LayerNorm.backwardNd4j(c[0], gain, dy, view(flatRef, 0, 37), view(flatRef, 37, 37)));
        assertClose(ref, LayerNorm.backwardPlus(c[0], gain, dy, view(flat, 0, 37), view(flat, 37, 37), residual),
                "layernorm dx + residual");
        assertClose(flatRef, flat, "layernorm dgain, dbias (with residual)");
    }

    @Test
    void headCopiesMatchNd4jsPermutes() {
        // Doubles take ND4J's permute + dup; the same values as floats take the copy kernel. Copies are exact.
        int batch = 3, length = 7, heads = 5, d = 6;
        INDArray rows = Nd4j.randn(DataType.DOUBLE, batch * length, 3 * heads * d);
        INDArray rowsF = rows.castTo(DataType.FLOAT);
        assertTrue(Kernels.accepts(Kernel.HEADS, rowsF));
        INDArray stacked = Attention.splitStacked(rows, batch, length, 3, heads);
        INDArray stackedF = Attention.splitStacked(rowsF, batch, length, 3, heads);
        assertEquals(stacked.castTo(DataType.FLOAT), stackedF, "split stacked");
        assertEquals(Attention.mergeStacked(stacked, batch, heads).castTo(DataType.FLOAT),
                Attention.mergeStacked(stackedF, batch, heads), "merge stacked");
        INDArray one = rows.get(NDArrayIndex.all(), NDArrayIndex.interval(0, heads * d)).dup('c');
        INDArray split = Attention.splitHeads(one, batch, length, heads);
        INDArray splitF = Attention.splitHeads(one.castTo(DataType.FLOAT), batch, length, heads);
        assertEquals(split.castTo(DataType.FLOAT), splitF, "split heads");
        assertEquals(Attention.mergeHeads(split, batch, heads).castTo(DataType.FLOAT),
                Attention.mergeHeads(splitF, batch, heads), "merge heads");
        assertEquals(rowsF, Attention.mergeStacked(stackedF, batch, heads), "merge inverts split");
    }

    @Test
    void adamMatchesTheScalarRuleBitForBit() {
        int n = 1001;
        INDArray g = Nd4j.randn(DataType.FLOAT, n);
        INDArray m = Nd4j.randn(DataType.FLOAT, n).muli(0.1);
        INDArray v = Nd4j.rand(DataType.FLOAT, n).muli(0.01);
        float[] gs = g.toFloatVector();
        float[] ms = m.toFloatVector();
        float[] vs = v.toFloatVector();
        float b1 = 0.9f, b2 = 0.95f, eps = 1e-8f, alpha = 3e-4f;
        Kernels.adam(g, m, v, n, b1, b2, eps, alpha);
        for (int i = 0; i < n; i++) {
            float mi = b1 * ms[i] + gs[i] * (1f - b1);
            float vi = b2 * vs[i] + gs[i] * gs[i] * (1f - b2);
            assertEquals(mi, m.getFloat(i), "m[" + i + "]");
            assertEquals(vi, v.getFloat(i), "v[" + i + "]");
            assertEquals(mi * alpha / ((float) Math.sqrt(vi) + eps), g.getFloat(i), "update[" + i + "]");
        }
    }

    @Test
    void updaterPassesMatchNd4jOnViewsOfAFlatArray() {
        // Views at an offset into one flat array, as the updater's gradient and parameter views are;
        // 300,007 elements: several threads' chunks, and a scalar tail.
        int n = 300_007;
        INDArray flat = Nd4j.randn(DataType.FLOAT, 1, 2 * n + 13);
        INDArray x = view(flat, 5, n);
        INDArray y = view(flat, n + 9, n);
        // Against the sum in double (ND4J's float norm2 of this array is off by 3.5e-5 of it).
        double exact = x.castTo(DataType.DOUBLE).norm2Number().doubleValue();
        System.out.printf("sum of squares: kernel %.9g, in double %.9g, ND4J float norm2^2 %.9g%n",
                Kernels.sumOfSquares(x), exact * exact, Math.pow(x.norm2Number().doubleValue(), 2));
        assertEquals(exact * exact, Kernels.sumOfSquares(x), exact * exact * 1e-6, "sum of squares");

        INDArray yRef = y.dup();
        Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.Axpy(x, yRef, yRef, 0.37));
        Kernels.axpy(0.37f, x, y);
        assertEquals(yRef, y, "y += a x, bit for bit as libnd4j's Axpy");

        INDArray xRef = x.mul(0.61);
        Kernels.scale(x, 0.61f);
        assertEquals(xRef, x, "x *= a, bit for bit as ND4J's scalar product");

        assertTrue(Kernels.allFinite(x), "random floats are finite");
        x.putScalar(n - 1, 3e38f);
        assertTrue(Kernels.allFinite(x), "huge but finite (a sum of these would overflow)");
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (long at : new long[] {0, n / 2, n - 1}) {   // the first vector, another thread's chunk, the tail
                float kept = x.getFloat(at);
                x.putScalar(at, bad);
                assertFalse(Kernels.allFinite(x), bad + " at " + at);
                x.putScalar(at, kept);
            }
        }
        flat.putScalar(0, n + 6, Float.NaN);
        assertTrue(Kernels.allFinite(x), "a NaN past the view is not the view's");

        float before = flat.getFloat(0, 4);
        float after = flat.getFloat(0, n + 5);
        Kernels.zero(x);
        assertEquals(0.0, x.amaxNumber().doubleValue(), 0.0, "zeroed");
        assertEquals(before, flat.getFloat(0, 4), "the element before the view untouched");
        assertEquals(after, flat.getFloat(0, n + 5), "the element after the view untouched");
    }

    @Test
    void doublesAndStridedViewsTakeTheNd4jPath() {
        INDArray xd = Nd4j.randn(DataType.DOUBLE, 9, 11);
        assertFalse(Kernels.accepts(Kernel.GELU, xd));
        assertEquals(Gelu.forwardNd4j(xd, new INDArray[1]), Gelu.forward(xd, new INDArray[1]));
        INDArray g = Nd4j.randn(DataType.DOUBLE, 11);
        INDArray b = Nd4j.randn(DataType.DOUBLE, 11);
        assertEquals(LayerNorm.forwardNd4j(xd, g, b, 1e-5, null), LayerNorm.forward(xd, g, b, 1e-5, null));
        INDArray columns = Nd4j.randn(DataType.FLOAT, 9, 30).get(NDArrayIndex.all(), NDArrayIndex.interval(3, 14));
        assertFalse(Kernels.accepts(Kernel.LAYERNORM, columns), "a column range is strided");
        INDArray gf = g.castTo(DataType.FLOAT);
        INDArray bf = b.castTo(DataType.FLOAT);
        assertEquals(LayerNorm.forwardNd4j(columns, gf, bf, 1e-5, null), LayerNorm.forward(columns, gf, bf, 1e-5, null));
    }

    private static INDArray view(INDArray flat, long from, long length) {
        return flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(from, from + length));
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        assertClose(expected, actual, what, TOLERANCE);
    }

    private static void assertClose(INDArray expected, INDArray actual, String what, double tolerance) {
        assertEquals(DataType.FLOAT, actual.dataType(), what);
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()), what);
        double worst = 0;
        float[] e = expected.dup().data().asFloat();
        float[] a = actual.dup().data().asFloat();
        for (int i = 0; i < e.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - e[i]) / Math.max(1.0, Math.abs(e[i])));
        }
        assertTrue(worst <= tolerance, what + ": largest relative error " + worst);
        System.out.printf("%s: largest relative error %.2e%n", what, worst);
    }
}
