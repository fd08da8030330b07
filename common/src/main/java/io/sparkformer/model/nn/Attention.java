package io.sparkformer.model.nn;

import io.sparkformer.model.kernel.Gemm;
import io.sparkformer.model.kernel.Kernels;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Scaled dot-product attention over heads folded into the batch axis, plus the head split/merge
 * it needs. Dimensions: B batch, T query length, S key length, H heads, D head width, C = H*D,
 * G = B*H. Masks enter as an additive bias (0 where allowed, a large negative number where not).
 * Dense float scores take one fused pass each way ({@link Kernels}: scale, mask and softmax; its
 * gradient), which skips the masked half of a causal row; the ND4J ops are the reference path.
 */
public final class Attention {
    /** Bias of a forbidden position: large enough that exp underflows to 0 in float and double. */
    public static final double MASKED = -1e9;

    private Attention() {
    }

    /**
     * What the backward pass needs: {@code used} = probs * dropMask (or probs without dropout);
     * {@code causal} when the mask was the pure causal one (probs are 0 after each query's own key).
     */
    public record Cache(INDArray q, INDArray k, INDArray v, INDArray probs, INDArray used, INDArray dropMask,
                        double scale, boolean causal) {
    }

    /**
     * softmax(q k^T * scale + bias) v. Shapes: q [G, T, D], k and v [G, S, D], bias [G, T, S] or
     * null; returns [G, T, D].
     */
    public static INDArray forward(INDArray q, INDArray k, INDArray v, INDArray bias, double dropout,
                                   Cache[] cacheOut) {
        double scale = 1.0 / Math.sqrt(q.size(2));
        INDArray scores = Gemm.batched(q, k, null, false, true);               // [G, T, S]
        boolean causal = AttentionMask.isCausal(bias);
        INDArray probs;
        if (Kernels.accepts(Kernels.Kernel.SOFTMAX, scores) && (bias == null || causal
                || Kernels.accepts(Kernels.Kernel.SOFTMAX, bias))) {
            Kernels.attentionSoftmax(scores, (float) scale, bias, causal);              // in place
            probs = scores;
        } else {
            probs = softmaxNd4j(scores, scale, bias);
        }
        INDArray dropMask = Dropout.mask(probs, dropout);
        INDArray used = Dropout.apply(probs, dropMask);
        if (cacheOut != null) {
            cacheOut[0] = new Cache(q, k, v, probs, used, dropMask, scale, causal);
        }
        return Gemm.batched(used, v, null, false, false);                                            // [G, T, D]
    }

    /** softmax(scores * scale + bias) over the last axis, in place, as ND4J ops: the reference path. */
    static INDArray softmaxNd4j(INDArray scores, double scale, INDArray bias) {
        scores.muli(scale);
        if (bias != null) {
            scores.addi(bias);
        }
        return Nd4j.exec(new SoftMax(scores, scores, -1))[0];
    }

    /** Returns {dq, dk, dv} for dOut [G, T, D]. */
    public static INDArray[] backward(Cache c, INDArray dOut) {
        return backward(c, dOut, null, null, null);
    }

    /**
     * As {@link #backward(Cache, INDArray)}, writing dq, dk, dv into the given arrays when not null
     * (slices of one stacked gradient, so merging heads back is a single copy).
     */
    public static INDArray[] backward(Cache c, INDArray dOut, INDArray dqOut, INDArray dkOut, INDArray dvOut) {
        INDArray dv = Gemm.batched(c.used(), dOut, dvOut, true, false);          // [G, S, D]
        INDArray dProbs = Gemm.batched(dOut, c.v(), null, false, true);         // [G, T, S]
        if (c.dropMask() != null) {
            dProbs.muli(c.dropMask());
        }
        INDArray dScores;
        if (Kernels.accepts(Kernels.Kernel.SOFTMAX, c.probs(), dProbs)) {
            Kernels.attentionSoftmaxBackward(c.probs(), dProbs, (float) c.scale(), c.causal());   // in place
            dScores = dProbs;
        } else {
            dScores = softmaxBackwardNd4j(c.probs(), dProbs, c.scale());
        }
        INDArray dq = Gemm.batched(dScores, c.k(), dqOut, false, false);        // [G, T, D]
        INDArray dk = Gemm.batched(dScores, c.q(), dkOut, true, false);         // [G, S, D]
        return new INDArray[] {dq, dk, dv};
    }

    /** Softmax backward per row, dS = P * (dP - sum(dP * P)) * scale, as ND4J ops: the reference path. */
    static INDArray softmaxBackwardNd4j(INDArray probs, INDArray dProbs, double scale) {
        long g = probs.size(0);
        long t = probs.size(1);
        long s = probs.size(2);
        INDArray p2 = probs.reshape('c', g * t, s);
        INDArray d2 = dProbs.reshape('c', g * t, s);
        INDArray dot = d2.mul(p2).sum(true, 1);                                       // [G*T, 1]
        return d2.subColumnVector(dot).muli(p2).muli(scale).reshape('c', g, t, s);
    }

    /** Row-wise softmax of a matrix [R, S], stabilised by the row max. */
    public static INDArray softmaxRows(INDArray x) {
        INDArray shifted = x.subColumnVector(x.max(true, 1));
        INDArray e = Transforms.exp(shifted, false);
        return e.diviColumnVector(e.sum(true, 1));
    }

    /** [B*L, C] rows (batch-major) to [B*H, L, D]: head h of row (b, l) is columns h*D..h*D+D-1. */
    public static INDArray splitHeads(INDArray x, long batch, long length, int heads) {
        if (Kernels.accepts(Kernels.Kernel.HEADS, x)) {
            return Kernels.splitHeads(x, (int) batch, (int) length, 1, heads).reshape('c', batch * heads, length,
                    x.size(1) / heads);
        }
        long width = x.size(1);
        long d = width / heads;
        return x.dup('c').reshape('c', batch, length, heads, d)
                .permute(0, 2, 1, 3).dup('c')
                .reshape('c', batch * heads, length, d);
    }

    /** Inverse of {@link #splitHeads}: [B*H, L, D] to [B*L, H*D]. */
    public static INDArray mergeHeads(INDArray x, long batch, int heads) {
        if (Kernels.accepts(Kernels.Kernel.HEADS, x)) {
            return Kernels.mergeHeads(x, (int) batch, 1, heads);
        }
        long length = x.size(1);
        long d = x.size(2);
        return x.reshape('c', batch, heads, length, d)
                .permute(0, 2, 1, 3).dup('c')
                .reshape('c', batch * length, heads * d);
    }

    /**
     * k stacked projections [B*L, k*C] (e.g. q|k|v) to [k, B*H, L, D] in one copy; slice i is
     * projection i split into heads, as {@link #splitHeads} would give it.
     */
    public static INDArray splitStacked(INDArray x, long batch, long length, int k, int heads) {
        if (Kernels.accepts(Kernels.Kernel.HEADS, x)) {
            return Kernels.splitHeads(x, (int) batch, (int) length, k, heads);
        }
        long d = x.size(1) / k / heads;
        return x.reshape('c', batch, length, k, heads, d)
                .permute(2, 0, 3, 1, 4).dup('c')
                .reshape('c', k, batch * heads, length, d);
    }

    /** Inverse of {@link #splitStacked}: [k, B*H, L, D] to [B*L, k*H*D] in one copy. */
    public static INDArray mergeStacked(INDArray x, long batch, int heads) {
        if (Kernels.accepts(Kernels.Kernel.HEADS, x)) {
            return Kernels.mergeHeads(x, (int) batch, (int) x.size(0), heads);
        }
        long k = x.size(0);
        long length = x.size(2);
        long d = x.size(3);
        return x.reshape('c', k, batch, heads, length, d)
                .permute(1, 3, 0, 2, 4).dup('c')
                .reshape('c', batch * length, k * heads * d);
    }

    /** Slice i of a stacked array [k, ...] as a view. */
    public static INDArray slice(INDArray stacked, long i) {
        return stacked.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
    }

    /** Columns [from, from + width) of a matrix, as a view. */
    public static INDArray columns(INDArray x, long from, long width) {
        return x.get(NDArrayIndex.all(), NDArrayIndex.interval(from, from + width));
    }
}
