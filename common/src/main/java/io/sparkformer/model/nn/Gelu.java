package io.sparkformer.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * GELU, tanh approximation (GPT-2's "gelu_new"), so an exported model computes the same function:
 * gelu(x) = 0.5 x (1 + tanh(k (x + 0.044715 x^3))), k = sqrt(2/pi).
 */
public final class Gelu {
    private static final double K = Math.sqrt(2.0 / Math.PI);
    private static final double A = 0.044715;

    private Gelu() {
    }

    /** Returns gelu(x); {@code tanhOut[0]} receives tanh(inner) for the backward pass. */
    public static INDArray forward(INDArray x, INDArray[] tanhOut) {
        INDArray x2 = x.mul(x);
        INDArray inner = x2.mul(A).addi(1.0).muli(x).muli(K);            // k (x + a x^3)
        INDArray t = Transforms.tanh(inner, false);
        tanhOut[0] = t;
        return t.add(1.0).muli(x).muli(0.5);
    }

    /** dx = dy * [0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 a x^2)]. */
    public static INDArray backward(INDArray x, INDArray t, INDArray dy) {
        INDArray sech2 = t.mul(t).rsubi(1.0);                              // 1 - t^2
        INDArray dInner = x.mul(x).muli(3 * A).addi(1.0).muli(K);          // k (1 + 3 a x^2)
        INDArray grad = sech2.muli(dInner).muli(x).muli(0.5).addi(t.add(1.0).muli(0.5));
        return grad.muli(dy);
    }
}
