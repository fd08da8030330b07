package io.sparkformer.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Mean token cross-entropy (nats) from logits and integer labels, so a large vocabulary never
 * needs one-hot labels. Positions whose weight is 0 (padding, unselected MLM positions) carry no
 * loss and no gradient.
 */
public final class SparseCrossEntropy {
    private SparseCrossEntropy() {
    }

    /** The mean loss, per-row losses, and dLoss/dLogits. */
    public record Result(double loss, double[] rowLoss, double weightSum, INDArray dLogits) {
    }

    /**
     * @param logits [N, V]
     * @param labels N ids in [0, V)
     * @param weights N weights (1 for counted positions, 0 otherwise), or null for all ones
     */
    public static Result compute(INDArray logits, int[] labels, double[] weights, boolean withGradient) {
        int n = labels.length;
        long v = logits.size(1);
        INDArray shifted = logits.subColumnVector(logits.max(true, 1));
        INDArray exp = Transforms.exp(shifted, true);
        INDArray sumExp = exp.sum(true, 1);                                  // [N, 1]
        INDArray logSum = Transforms.log(sumExp, true);
        double[] rowLoss = new double[n];
        double total = 0;
        double weightSum = 0;
        for (int i = 0; i < n; i++) {
            int y = labels[i];
            if (y < 0 || y >= v) {
                throw new IllegalArgumentException("label " + y + " at position " + i + " is outside the vocabulary of " + v);
            }
            double w = weights == null ? 1.0 : weights[i];
            rowLoss[i] = logSum.getDouble(i, 0) - shifted.getDouble(i, y);
            total += w * rowLoss[i];
            weightSum += w;
        }
        double loss = weightSum > 0 ? total / weightSum : 0.0;
        INDArray d = null;
        if (withGradient) {
            d = exp.diviColumnVector(sumExp);                                  // softmax [N, V]
            for (int i = 0; i < n; i++) {
                d.putScalar(i, labels[i], d.getDouble(i, labels[i]) - 1.0);
            }
            double[] scale = new double[n];
            for (int i = 0; i < n; i++) {
                scale[i] = weightSum > 0 ? (weights == null ? 1.0 : weights[i]) / weightSum : 0.0;
            }
            d.muliColumnVector(org.nd4j.linalg.factory.Nd4j.create(scale, new long[] {n, 1}, 'c').castTo(d.dataType()));
        }
        return new Result(loss, rowLoss, weightSum, d);
    }
}
