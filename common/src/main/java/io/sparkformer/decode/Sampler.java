package io.sparkformer.decode;

import java.util.SplittableRandom;

/**
 * Picks the next token from a vector of logits. Random samplers carry their generator's state, so
 * one instance serves one generation; {@link #of} makes a fresh one from the config's seed.
 */
@FunctionalInterface
public interface Sampler {

    /** @return a token id in {@code [0, logits.length)} */
    int sample(double[] logits);

    /** The argmax, ties to the lowest id. */
    static Sampler greedy() {
        return Logits::argmax;
    }

    /** Greedy for temperature 0, otherwise temperature, top-k and top-p sampling seeded from the config. */
    static Sampler of(SamplingConfig config) {
        if (config.isGreedy()) {
            return greedy();
        }
        return new TopKTopPSampler(config.temperature(), config.topK(), config.topP(),
                new SplittableRandom(config.seed()));
    }
}
