package io.sparkformer.decode;

import java.util.Arrays;

/** Small numeric helpers on logit vectors shared by the samplers and beam search. */
final class Logits {
    private Logits() {
    }

    /** Index of the largest value; ties go to the lowest index, so greedy decoding is reproducible. */
    static int argmax(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        checkFinite(values[best]);
        return best;
    }

    /** {@code log softmax(x)}, computed with the maximum subtracted so that large logits do not overflow. */
    static double[] logSoftmax(double[] logits) {
        double max = logits[argmax(logits)];
        double sum = 0;
        for (double x : logits) {
            sum += Math.exp(x - max);
        }
        double logNorm = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - logNorm;
        }
        return out;
    }

    /**
     * Indices of the {@code limit} largest values, largest first; equal values keep ascending index
     * order. Small limits (top-k, beams) scan once with an insertion buffer instead of sorting the
     * whole vocabulary at every step.
     */
    static int[] topIndices(double[] values, int limit) {
        int k = Math.min(limit, values.length);
        if (k * 16L >= values.length) {
            Integer[] order = new Integer[values.length];
            Arrays.setAll(order, i -> i);
            Arrays.sort(order, (a, b) -> Double.compare(values[b], values[a]));   // stable: ties by index
            int[] out = new int[k];
            for (int i = 0; i < k; i++) {
                out[i] = order[i];
            }
            return out;
        }
        int[] top = new int[k];
        int size = 0;
        for (int i = 0; i < values.length; i++) {
            if (size == k && !(values[i] > values[top[k - 1]])) {
                continue;
            }
            int j = size < k ? size++ : k - 1;
            while (j > 0 && values[i] > values[top[j - 1]]) {
                top[j] = top[j - 1];
                j--;
            }
            top[j] = i;
        }
        return top;
    }

    private static void checkFinite(double max) {
        if (Double.isNaN(max) || Double.isInfinite(max)) {
            throw new IllegalArgumentException("logits must have a finite maximum, got " + max);
        }
    }
}
