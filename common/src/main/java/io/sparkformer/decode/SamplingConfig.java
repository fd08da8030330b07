package io.sparkformer.decode;

import io.sparkformer.config.ConfigException;

/**
 * How {@code generate} picks each next token. Messages name the command-line flag, because that is
 * where a user sets these values.
 *
 * @param temperature divides the logits before the softmax; 0 means greedy (always the most likely token)
 * @param topK        sample only among the k most likely tokens; 0 turns the filter off
 * @param topP        nucleus sampling: sample only among the fewest most likely tokens whose
 *                    probabilities add up to at least p; 1 turns the filter off
 * @param maxTokens   how many tokens to generate at most
 * @param seed        the same seed (with the same model and prompt) gives the same tokens
 */
public record SamplingConfig(double temperature, int topK, double topP, int maxTokens, long seed) {

    public SamplingConfig {
        if (!(temperature >= 0)) {
            throw new ConfigException("--temperature must be >= 0, got " + format(temperature));
        }
        if (Double.isInfinite(temperature)) {
            throw new ConfigException("--temperature must be finite, got " + format(temperature));
        }
        if (topK < 0) {
            throw new ConfigException("--top-k must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new ConfigException("--top-p must be within (0, 1] (1 = off), got " + format(topP));
        }
        if (maxTokens <= 0) {
            throw new ConfigException("--max-tokens must be > 0, got " + maxTokens);
        }
    }

    /** Always the most likely token: no temperature, no filters. */
    public static SamplingConfig greedy(int maxTokens) {
        return new SamplingConfig(0, 0, 1, maxTokens, 0);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    /** Prints {@code -1} rather than {@code -1.0}: the user typed an integer, echo it back as one. */
    private static String format(double value) {
        return value == Math.rint(value) && !Double.isInfinite(value) ? Long.toString((long) value)
                : Double.toString(value);
    }
}
