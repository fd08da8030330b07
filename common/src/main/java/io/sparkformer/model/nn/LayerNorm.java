package io.sparkformer.model.nn;

import io.sparkformer.model.kernel.Kernels;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Layer normalisation over the last axis of row-major activations, with learned gain and bias.
 * Shapes: x [N, C], gain/bias [C]; per row: xhat = (x - mean) / sqrt(var + eps), y = xhat * g + b.
 * Dense float arrays take one fused pass per row each way ({@link Kernels}); the ND4J ops below are
 * the reference path (doubles, views).
 */
public final class LayerNorm {
    private LayerNorm() {
    }

    /** What the backward pass needs from the forward pass. */
    public record Cache(INDArray xhat, INDArray rstd) {
    }

    public static INDArray forward(INDArray x, INDArray gain, INDArray bias, double eps, Cache[] cacheOut) {
        if (x.rank() == 2 && Kernels.accepts(Kernels.Kernel.LAYERNORM, x, gain, bias)) {
            INDArray[] out = Kernels.layerNormForward(x, gain, bias, (float) eps);   // {y, xhat, rstd}
            if (cacheOut != null) {
                cacheOut[0] = new Cache(out[1], out[2]);
            }
            return out[0];
        }
        return forwardNd4j(x, gain, bias, eps, cacheOut);
    }

    /** {@link #forward} as ND4J ops: the reference path. */
    static INDArray forwardNd4j(INDArray x, INDArray gain, INDArray bias, double eps, Cache[] cacheOut) {
        INDArray mean = x.mean(true, 1);                           // [N, 1]
        INDArray xc = x.subColumnVector(mean);                            // [N, C]
        INDArray var = xc.mul(xc).mean(true, 1);                   // [N, 1] biased, as PyTorch
        INDArray rstd = Transforms.pow(var.addi(eps), -0.5, false);       // [N, 1]
        INDArray xhat = xc.muliColumnVector(rstd);                        // [N, C]
        if (cacheOut != null) {
            cacheOut[0] = new Cache(xhat, rstd);
        }
        return xhat.mulRowVector(gain).addiRowVector(bias);
    }

    /** Accumulates dgain, dbias; returns dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)). */
    public static INDArray backward(Cache cache, INDArray gain, INDArray dy, INDArray dgain, INDArray dbias) {
        if (dy.rank() == 2 && Kernels.accepts(Kernels.Kernel.LAYERNORM, cache.xhat(), cache.rstd(), gain, dy,
                dgain, dbias)) {
            return Kernels.layerNormBackward(cache.xhat(), cache.rstd(), gain, dy, dgain, dbias, null);
        }
        return backwardNd4j(cache, gain, dy, dgain, dbias);
    }

    /**
     * As {@link #backward}, returning {@code residual} + dx: the gradient of a residual sum whose
     * other branch went through this LayerNorm, in the same pass.
     */
    public static INDArray backwardPlus(Cache cache, INDArray gain, INDArray dy, INDArray dgain, INDArray dbias,
                                        INDArray residual) {
        if (dy.rank() == 2 && Kernels.accepts(Kernels.Kernel.LAYERNORM, cache.xhat(), cache.rstd(), gain, dy,
                dgain, dbias, residual)) {
            return Kernels.layerNormBackward(cache.xhat(), cache.rstd(), gain, dy, dgain, dbias, residual);
        }
        return residual.add(backwardNd4j(cache, gain, dy, dgain, dbias));
    }

    /** {@link #backward} as ND4J ops: the reference path. */
    static INDArray backwardNd4j(Cache cache, INDArray gain, INDArray dy, INDArray dgain, INDArray dbias) {
        INDArray xhat = cache.xhat();
        Reductions.addColumnSums(dy, dbias);
        INDArray dyXhat = dy.mul(xhat);                                   // [N, C]
        Reductions.addColumnSums(dyXhat, dgain);
        // dxhat = dy * gain, so both row means are GEMVs against the gain: no [N, C] temporaries.
        INDArray meanD = Reductions.rowMeansWeighted(dy, gain);           // [N, 1] mean(dxhat)
        INDArray meanDX = Reductions.rowMeansWeighted(dyXhat, gain);      // [N, 1] mean(dxhat * xhat)
        return dy.mulRowVector(gain)
                .subiColumnVector(meanD)
                .subi(xhat.mulColumnVector(meanDX))
                .muliColumnVector(cache.rstd());
    }
}
