package io.sparkformer.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Cross-entropy against labels smoothed towards the uniform distribution (Szegedy et al. 2016, as
 * the Transformer paper trains and as PyTorch's {@code label_smoothing} computes it): the target of
 * row i is {@code q = (1 - eps) onehot(y_i) + eps / V}, so with {@code p = softmax(logits_i)}
 * <pre>
 *   loss_i  = -sum_v q_v log p_v = (1 - eps) (-log p_y) + eps * mean_v(-log p_v)
 *   dLoss_i/dLogits_i = p - q
 * </pre>
 * The mean over rows is weighted as in {@link SparseCrossEntropy} (weight 0 = padding: no loss, no
 * gradient). With {@code eps = 0} the result equals {@link SparseCrossEntropy#compute}.
 */
public final class LabelSmoothedCrossEntropy {
    private LabelSmoothedCrossEntropy() {
    }

    /**
     * @param logits    [N, V]
     * @param labels    N ids in [0, V)
     * @param weights   N weights, or null for all ones
     * @param smoothing eps in [0, 1)
     * @return the weighted mean smoothed loss, the per-row smoothed losses, the weight sum and dLoss/dLogits
     */
    public static SparseCrossEntropy.Result compute(INDArray logits, int[] labels, double[] weights, double smoothing,
                                                    boolean withGradient) {
        if (!(smoothing >= 0 && smoothing < 1)) {
            throw new IllegalArgumentException("label smoothing must be within [0, 1), got " + smoothing);
        }
        int n = labels.length;
        long v = logits.size(1);
        INDArray shifted = logits.subColumnVector(logits.max(true, 1));           // [N, V]
        INDArray exp = Transforms.exp(shifted, true);
        INDArray sumExp = exp.sum(true, 1);                                        // [N, 1]
        INDArray logSum = Transforms.log(sumExp, true);                            // [N, 1]
        INDArray meanShifted = shifted.mean(true, 1);                              // [N, 1]
        double[] rowLoss = new double[n];
        double total = 0;
        double weightSum = 0;
        for (int i = 0; i < n; i++) {
            int y = labels[i];
            if (y < 0 || y >= v) {
                throw new IllegalArgumentException("label " + y + " at position " + i + " is outside the vocabulary of " + v);
            }
            double nll = logSum.getDouble(i, 0) - shifted.getDouble(i, y);        // -log p_y
            double uniform = logSum.getDouble(i, 0) - meanShifted.getDouble(i, 0); // mean_v -log p_v
            rowLoss[i] = (1 - smoothing) * nll + smoothing * uniform;
            double w = weights == null ? 1.0 : weights[i];
            total += w * rowLoss[i];
            weightSum += w;
        }
        double loss = weightSum > 0 ? total / weightSum : 0.0;
        // [N, V] temporaries are the largest arrays of a step: release their off-heap memory now
        // rather than whenever the garbage collector gets to them (arrays in a DL4J workspace are
        // reused with it and cannot be closed).
        release(shifted);
        INDArray d = null;
        if (!withGradient) {
            release(exp);
        } else {
            d = exp.diviColumnVector(sumExp).subi(smoothing / v);                   // p - eps/V
            double[] scale = new double[n];
            for (int i = 0; i < n; i++) {
                d.putScalar(i, labels[i], d.getDouble(i, labels[i]) - (1 - smoothing));
                scale[i] = weightSum > 0 ? (weights == null ? 1.0 : weights[i]) / weightSum : 0.0;
            }
            d.muliColumnVector(Nd4j.create(scale, new long[] {n, 1}, 'c').castTo(d.dataType()));
        }
        return new SparseCrossEntropy.Result(loss, rowLoss, weightSum, d);
    }

    private static void release(INDArray a) {
        if (a.closeable()) {
            a.close();
        }
    }
}
