package io.sparkformer.decode;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {
    private static final int DRAWS = 20_000;
    /** probs 0.5, 0.3, 0.15, 0.05 as logits: the hand-computed distribution of the nucleus tests. */
    private static final double[] NUCLEUS_LOGITS = logs(0.5, 0.3, 0.15, 0.05);

    private static double[] logs(double... p) {
        return Arrays.stream(p).map(Math::log).toArray();
    }

    private static Sampler sampler(double temperature, int topK, double topP, long seed) {
        return Sampler.of(new SamplingConfig(temperature, topK, topP, 1, seed));
    }

    private static int[] counts(Sampler sampler, double[] logits) {
        int[] counts = new int[logits.length];
        for (int i = 0; i < DRAWS; i++) {
            counts[sampler.sample(logits)]++;
        }
        return counts;
    }

    private static int[] draws(Sampler sampler, double[] logits, int n) {
        return IntStream.range(0, n).map(i -> sampler.sample(logits)).toArray();
    }

    /** Each count within 4 binomial standard deviations of {@code DRAWS * expected[i]}. */
    private static void assertFrequencies(double[] expected, int[] counts) {
        for (int i = 0; i < expected.length; i++) {
            double mean = DRAWS * expected[i];
            double sigma = Math.sqrt(DRAWS * expected[i] * (1 - expected[i]));
            assertTrue(Math.abs(counts[i] - mean) <= 4 * sigma,
                    "token " + i + ": " + counts[i] + " draws, expected " + mean + " +- " + 4 * sigma);
        }
    }

    @Test
    void greedyPicksTheArgmaxWithTiesToTheLowestId() {
        assertEquals(2, Sampler.greedy().sample(new double[] {0.1, -3, 7.5, 7.4}));
        assertEquals(1, Sampler.greedy().sample(new double[] {0.1, 7.5, 7.5, Double.NEGATIVE_INFINITY}));
    }

    @Test
    void temperatureZeroIsGreedyWhateverTheFilters() {
        Sampler s = sampler(0, 3, 0.2, 42);
        for (int i = 0; i < 100; i++) {
            assertEquals(0, s.sample(NUCLEUS_LOGITS));
        }
    }

    @Test
    void topKOneSamplesTheArgmaxWhateverTheTemperature() {
        SplittableRandom r = new SplittableRandom(3);
        for (double temperature : new double[] {0.01, 1, 100, 1e6}) {
            Sampler s = sampler(temperature, 1, 1, 11);
            for (int i = 0; i < 500; i++) {
                double[] logits = r.doubles(50, -2, 2).toArray();
                logits[r.nextInt(50)] = logits[r.nextInt(50)];   // sometimes a tie at the top
                assertEquals(Sampler.greedy().sample(logits), s.sample(logits), "temperature " + temperature);
            }
        }
    }

    @Test
    void topKKeepsOnlyTheKMostLikelyTokensRenormalised() {
        int[] counts = counts(sampler(1, 2, 1, 5), NUCLEUS_LOGITS);
        assertEquals(0, counts[2] + counts[3]);
        assertFrequencies(new double[] {0.5 / 0.8, 0.3 / 0.8}, counts);
    }

    @Test
    void topPKeepsExactlyTheNucleus() {
        // p = 0.8: 0.5 + 0.3 reaches it, so only tokens 0 and 1, renormalised to 0.625, 0.375.
        int[] two = counts(sampler(1, 0, 0.8, 7), NUCLEUS_LOGITS);
        assertEquals(0, two[2] + two[3]);
        assertFrequencies(new double[] {0.5 / 0.8, 0.3 / 0.8}, two);
        // p = 0.81: 0.8 falls short, 0.95 reaches it: tokens 0-2, renormalised over 0.95.
        int[] three = counts(sampler(1, 0, 0.81, 7), NUCLEUS_LOGITS);
        assertEquals(0, three[3]);
        assertFrequencies(new double[] {0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95}, three);
        // p = 0.5, or any tiny p: the top token alone.
        assertEquals(DRAWS, counts(sampler(1, 0, 0.5, 7), NUCLEUS_LOGITS)[0]);
        assertEquals(DRAWS, counts(sampler(1, 0, 1e-12, 7), NUCLEUS_LOGITS)[0]);
    }

    @Test
    void topPAppliesAfterTemperature() {
        // At temperature 0.5 the probabilities are 0.25, 0.09, 0.0225, 0.0025 over 0.365, so token 0
        // alone holds 0.685 >= 0.6: the nucleus shrinks to one token.
        assertEquals(DRAWS, counts(sampler(0.5, 0, 0.6, 9), NUCLEUS_LOGITS)[0]);
        // At temperature 1 the same p needs two tokens.
        assertTrue(counts(sampler(1, 0, 0.6, 9), NUCLEUS_LOGITS)[1] > 0);
    }

    @Test
    void temperatureOneMatchesTheSoftmaxFrequencies() {
        double[] p = {0.4, 0.25, 0.15, 0.1, 0.06, 0.04};
        assertFrequencies(p, counts(sampler(1, 0, 1, 13), logs(p)));
    }

    @Test
    void temperatureHalfSharpensToNormalisedSquares() {
        double[] p = {0.4, 0.25, 0.15, 0.1, 0.06, 0.04};
        // softmax(ln p / 0.5) = p^2 / sum(p^2); sum(p^2) = 0.16 + 0.0625 + 0.0225 + 0.01 + 0.0036 + 0.0016
        double norm = 0.2602;
        double[] sharpened = {0.16 / norm, 0.0625 / norm, 0.0225 / norm, 0.01 / norm, 0.0036 / norm, 0.0016 / norm};
        int[] counts = counts(sampler(0.5, 0, 1, 17), logs(p));
        assertFrequencies(sharpened, counts);
        assertTrue(counts[0] > DRAWS * 0.55, "token 0 should rise from 0.4 to 0.615");
    }

    @Test
    void partialRankingOfALargeVocabularyMatchesAFullSort() {
        SplittableRandom r = new SplittableRandom(31);
        for (int k : new int[] {1, 5, 40, 62, 63, 1000}) {   // up to 62 the insertion buffer, then the sort
            double[] values = r.ints(1000, 0, 30).asDoubleStream().toArray();   // many ties
            int[] reference = IntStream.range(0, values.length).boxed()
                    .sorted((a, b) -> values[a] != values[b] ? Double.compare(values[b], values[a]) : a - b)
                    .limit(k).mapToInt(Integer::intValue).toArray();
            assertArrayEquals(reference, Logits.topIndices(values, k), "k = " + k);
        }
    }

    @Test
    void sameSeedGivesTheSameDrawsAndDifferentSeedsDiffer() {
        double[] flat = new double[16];
        int[] first = draws(sampler(1, 0, 1, 123), flat, 40);
        int[] again = draws(sampler(1, 0, 1, 123), flat, 40);
        int[] other = draws(sampler(1, 0, 1, 124), flat, 40);
        assertArrayEquals(first, again);
        assertFalse(Arrays.equals(first, other), "two seeds agreeing on 40 draws from 16 has probability 16^-40");
    }
}
