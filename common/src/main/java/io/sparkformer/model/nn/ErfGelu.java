package io.sparkformer.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Exact GELU, BERT's and PyTorch's default: gelu(x) = x Phi(x) = 0.5 x (1 + erf(x / sqrt(2))).
 * Differs from the tanh form ({@link Gelu}) by up to ~5e-4 per element, which a pretrained BERT's
 * hidden states would carry through every layer, hence the exact form for imported models.
 */
public final class ErfGelu {
    private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    private ErfGelu() {
    }

    /** Returns gelu(x); {@code phiOut[0]} receives Phi(x) = 0.5 (1 + erf(x / sqrt 2)) for the backward pass. */
    public static INDArray forward(INDArray x, INDArray[] phiOut) {
        INDArray phi = x.mul(INV_SQRT2);
        Nd4j.getExecutioner().exec(new Erf(phi, phi));                      // in place
        phi.addi(1.0).muli(0.5);
        phiOut[0] = phi;
        return phi.mul(x);
    }

    /** dx = dy * [Phi(x) + x phi(x)], phi(x) = exp(-x^2 / 2) / sqrt(2 pi). */
    public static INDArray backward(INDArray x, INDArray phi, INDArray dy) {
        INDArray density = Transforms.exp(x.mul(x).muli(-0.5), false).muli(INV_SQRT_2PI);
        return density.muli(x).addi(phi).muli(dy);
    }
}
