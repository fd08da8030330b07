package io.sparkformer.decode;

/**
 * What decoding needs from a model: scores for the token that follows each of a batch of contexts.
 * Callers pass whole contexts (prompt plus everything generated so far); how much of a context the
 * model can use (its window) is the model's business, so the sliding window lives in one place.
 */
@FunctionalInterface
public interface LanguageModel {

    /**
     * @param contexts one non-empty token sequence per row; rows may differ in length
     * @return {@code [contexts.length][vocabSize]} unnormalised next-token scores (logits), row i
     *         for context i
     */
    double[][] nextTokenLogits(int[][] contexts);

    /** The next-token logits of a single context. */
    default double[] nextTokenLogits(int[] context) {
        return nextTokenLogits(new int[][] {context})[0];
    }
}
