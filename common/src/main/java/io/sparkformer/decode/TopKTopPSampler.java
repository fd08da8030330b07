package io.sparkformer.decode;

import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Samples from {@code softmax(logits / temperature)} restricted first to the {@code topK} most
 * likely tokens (0 = all), then to the nucleus: the fewest most likely of those whose probabilities
 * (renormalised over the top k) add up to at least {@code topP}; the kept probabilities are
 * renormalised. Ties in the ranking go to the lower id, so {@code topK = 1} is greedy decoding.
 */
public final class TopKTopPSampler implements Sampler {
    /**
     * Slack on the nucleus threshold: a nucleus that reaches p exactly in real arithmetic (0.5 + 0.3
     * for p = 0.8) must not take one more token because the softmax rounded its sum to 0.79999...
     */
    private static final double NUCLEUS_SLACK = 1e-9;

    private final double temperature;
    private final int topK;
    private final double topP;
    private final SplittableRandom random;

    public TopKTopPSampler(double temperature, int topK, double topP, SplittableRandom random) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and > 0 for sampling, got " + temperature
                    + " (use the greedy sampler for 0)");
        }
        if (topK < 0 || !(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topK must be >= 0 and topP within (0, 1], got " + topK + ", " + topP);
        }
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.random = random;
    }

    @Override
    public int sample(double[] logits) {
        double max = logits[Logits.argmax(logits)];
        int[] order = candidates(logits);
        double[] weights = new double[order.length];              // unnormalised probabilities, in `order`
        double total = 0;
        for (int i = 0; i < order.length; i++) {
            weights[i] = Math.exp((logits[order[i]] - max) / temperature);
            total += weights[i];
        }
        int kept = order.length;
        if (topP < 1) {
            double cumulative = weights[0];   // the most likely token always stays, however small p is
            kept = 1;
            while (kept < order.length && cumulative < (topP - NUCLEUS_SLACK) * total) {
                cumulative += weights[kept++];
            }
            total = cumulative;
        }
        double u = random.nextDouble() * total;
        double cumulative = 0;
        for (int i = 0; i < kept; i++) {
            cumulative += weights[i];
            if (u < cumulative) {
                return order[i];
            }
        }
        return order[kept - 1];   // u fell into the rounding gap at the top
    }

    /** Token ids that may be sampled; ranked most likely first only when a filter needs the ranking. */
    private int[] candidates(double[] logits) {
        if (topK == 0 && topP == 1) {
            return IntStream.range(0, logits.length).toArray();
        }
        return Logits.topIndices(logits, topK == 0 ? logits.length : topK);
    }
}
