package io.sparkformer.decode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A fake {@link LanguageModel} whose next-token distribution depends only on the last token:
 * logits are {@code ln P(next | last)}, so softmax gives back the table exactly and hand-computed
 * sequence probabilities are products of table entries. Records every call.
 */
final class BigramModel implements LanguageModel {
    private final double[][] probabilities;
    final List<int[][]> calls = new ArrayList<>();

    BigramModel(double[][] probabilities) {
        this.probabilities = probabilities;
    }

    /**
     * Tokens 0-2. Greedy from 0 is myopic: 0 -> 1 (0.5) -> 0 (0.4), probability 0.2, while
     * 0 -> 2 (0.4) -> 2 (0.9) has probability 0.36.
     */
    static BigramModel myopic() {
        return new BigramModel(new double[][] {
                {0.1, 0.5, 0.4},
                {0.4, 0.3, 0.3},
                {0.05, 0.05, 0.9}});
    }

    /**
     * Token 3 is end-of-text. From 0: stop at once [3] with 0.3, or [1, 3] with 0.6 * 0.45 = 0.27;
     * greedy goes 0 -> 1 (0.6) -> 3 (0.45).
     */
    static BigramModel withEos() {
        return new BigramModel(new double[][] {
                {0.05, 0.6, 0.05, 0.3},
                {0.05, 0.25, 0.25, 0.45},
                {0.05, 0.25, 0.25, 0.45},
                {0.25, 0.25, 0.25, 0.25}});
    }

    /** Every token equally likely after every token. */
    static BigramModel uniform(int vocab) {
        double[][] table = new double[vocab][vocab];
        for (double[] row : table) {
            Arrays.fill(row, 1.0 / vocab);
        }
        return new BigramModel(table);
    }

    /** A seeded random table (rows normalised) with no ties to speak of. */
    static BigramModel random(int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] table = new double[vocab][vocab];
        for (double[] row : table) {
            double sum = 0;
            for (int j = 0; j < vocab; j++) {
                row[j] = Math.exp(2 * r.nextGaussian());
                sum += row[j];
            }
            for (int j = 0; j < vocab; j++) {
                row[j] /= sum;
            }
        }
        return new BigramModel(table);
    }

    double probability(int last, int next) {
        return probabilities[last][next];
    }

    /** ln P(tokens | prompt ending in {@code last}). */
    double logProb(int last, int[] tokens) {
        double sum = 0;
        for (int t : tokens) {
            sum += Math.log(probabilities[last][t]);
            last = t;
        }
        return sum;
    }

    @Override
    public double[][] nextTokenLogits(int[][] contexts) {
        calls.add(contexts);
        double[][] out = new double[contexts.length][];
        for (int i = 0; i < contexts.length; i++) {
            double[] p = probabilities[contexts[i][contexts[i].length - 1]];
            out[i] = new double[p.length];
            for (int j = 0; j < p.length; j++) {
                out[i][j] = Math.log(p[j]);
            }
        }
        return out;
    }
}
