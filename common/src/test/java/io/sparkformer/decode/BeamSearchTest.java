package io.sparkformer.decode;

import io.sparkformer.config.ConfigException;
import io.sparkformer.decode.BeamSearch.Hypothesis;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BeamSearchTest {
    private static final double EPS = 1e-12;
    private static final int EOS = 3;

    @Test
    void beamOfOneEqualsGreedyDecoding() {
        for (long seed = 0; seed < 20; seed++) {
            BigramModel lm = BigramModel.random(12, seed);
            int eos = (int) (seed % 2 == 0 ? seed % 12 : -1);   // half with an end token, half without
            int[] greedy = new Generator(eos, Generator.NONE).generate(lm, new int[] {7}, SamplingConfig.greedy(25));
            List<Hypothesis> beam = BeamSearch.search(lm, new int[] {7}, 1, 25, 0.0, eos);
            assertEquals(1, beam.size());
            assertArrayEquals(greedy, beam.get(0).tokens(), "seed " + seed);
            assertEquals(lm.logProb(7, greedy), beam.get(0).logProb(), 1e-9);
        }
        int[] stopped = BeamSearch.search(BigramModel.withEos(), new int[] {0}, 1, 10, 0.0, EOS).get(0).tokens();
        assertArrayEquals(new int[] {1, 3}, stopped);
    }

    @Test
    void wideBeamFindsWhatMyopicGreedyMisses() {
        BigramModel lm = BigramModel.myopic();
        int[] greedy = new Generator().generate(lm, new int[] {0}, SamplingConfig.greedy(2));
        assertArrayEquals(new int[] {1, 0}, greedy);                         // 0.5 * 0.4 = 0.2
        List<Hypothesis> beam = BeamSearch.search(lm, new int[] {0}, 2, 2, 0.0, -1);
        assertArrayEquals(new int[] {2, 2}, beam.get(0).tokens());           // 0.4 * 0.9 = 0.36
        assertEquals(Math.log(0.36), beam.get(0).logProb(), EPS);
        assertArrayEquals(new int[] {1, 0}, beam.get(1).tokens());
        assertEquals(Math.log(0.2), beam.get(1).logProb(), EPS);
        assertTrue(beam.get(0).logProb() > lm.logProb(0, greedy));
    }

    @Test
    void wideEnoughBeamFindsTheExhaustiveOptimum() {
        BigramModel lm = BigramModel.random(4, 8);
        int[] best = null;
        double bestLogProb = Double.NEGATIVE_INFINITY;
        for (int code = 0; code < 64; code++) {                               // all 4^3 continuations
            int[] tokens = {code / 16, code / 4 % 4, code % 4};
            if (lm.logProb(2, tokens) > bestLogProb) {
                bestLogProb = lm.logProb(2, tokens);
                best = tokens;
            }
        }
        // 16 beams hold every 2-token prefix, so the last step sees all 64 sequences.
        List<Hypothesis> beam = BeamSearch.search(lm, new int[] {2}, 16, 3, 0.0, -1);
        assertArrayEquals(best, beam.get(0).tokens());
        assertEquals(bestLogProb, beam.get(0).logProb(), 1e-12);
        for (int i = 1; i < beam.size(); i++) {
            assertTrue(beam.get(i - 1).score() >= beam.get(i).score(), "not sorted best first at " + i);
        }
    }

    @Test
    void lengthPenaltyChangesTheRankingAsComputedByHand() {
        BigramModel lm = BigramModel.withEos();
        // alpha = 0: raw log-probs; [3] (0.3) beats [1, 3] (0.27).
        List<Hypothesis> raw = BeamSearch.search(lm, new int[] {0}, 2, 5, 0.0, EOS);
        assertArrayEquals(new int[] {3}, raw.get(0).tokens());
        assertEquals(Math.log(0.3), raw.get(0).score(), EPS);
        assertArrayEquals(new int[] {1, 3}, raw.get(1).tokens());
        assertEquals(Math.log(0.27), raw.get(1).score(), EPS);
        // alpha = 1: [3] keeps ln 0.3 / ((5+1)/6) = -1.2040, [1, 3] gets ln 0.27 / ((5+2)/6) = -1.1223 and wins.
        List<Hypothesis> penalised = BeamSearch.search(lm, new int[] {0}, 2, 5, 1.0, EOS);
        assertArrayEquals(new int[] {1, 3}, penalised.get(0).tokens());
        assertEquals(Math.log(0.27), penalised.get(0).logProb(), EPS);
        assertEquals(Math.log(0.27) / (7.0 / 6.0), penalised.get(0).score(), EPS);
        assertArrayEquals(new int[] {3}, penalised.get(1).tokens());
        assertEquals(Math.log(0.3), penalised.get(1).score(), EPS);
    }

    @Test
    void searchStopsOnceNoLiveBeamCanBeatTheFinishedOnes() {
        BigramModel lm = BigramModel.withEos();
        // After step 2, [3] and [1, 3] are finished and the best live beam has 0.15 < 0.27.
        BeamSearch.search(lm, new int[] {0}, 2, 50, 0.0, EOS);
        assertEquals(2, lm.calls.size());
    }

    @Test
    void searchContinuesWhileALiveBeamCanStillWin() {
        BigramModel lm = new BigramModel(new double[][] {
                {0.05, 0.45, 0.15, 0.35},
                {0.04, 0.03, 0.9, 0.03},
                {0.04, 0.03, 0.03, 0.9},
                {0.25, 0.25, 0.25, 0.25}});
        // Step 1 finishes [3] (0.35), step 2 finishes [2, 3] (0.15 * 0.9 = 0.135): two finished, but
        // the live [1, 2] (0.405) may still win, and does: [1, 2, 3] = 0.45 * 0.9 * 0.9 = 0.3645.
        List<Hypothesis> beam = BeamSearch.search(lm, new int[] {0}, 2, 10, 0.0, EOS);
        assertArrayEquals(new int[] {1, 2, 3}, beam.get(0).tokens());
        assertEquals(Math.log(0.3645), beam.get(0).logProb(), EPS);
        assertArrayEquals(new int[] {3}, beam.get(1).tokens());
        // Then the best live beam, [1, 2, 0] (0.0162), cannot reach 0.35: stop after step 3.
        assertEquals(3, lm.calls.size());
    }

    @Test
    void withLengthPenaltyALowerLogProbBeamStaysAliveWhileLengthCanMakeItWin() {
        BigramModel lm = new BigramModel(new double[][] {
                {0.1, 0.35, 0.15, 0.4},
                {0.02, 0.02, 0.01, 0.95},
                {0.25, 0.25, 0.25, 0.25},
                {0.25, 0.25, 0.25, 0.25}});
        // Beam 1, alpha 2. Step 1 finishes [3]: ln 0.4 / 1 = -0.916. The live [1] is less likely
        // (ln 0.35 = -1.050) but longer hypotheses are divided by up to ((5+5)/6)^2, so it goes on and
        // finishes [1, 3]: ln 0.3325 / (7/6)^2 = -0.809, which wins.
        List<Hypothesis> beam = BeamSearch.search(lm, new int[] {0}, 1, 5, 2.0, EOS);
        assertArrayEquals(new int[] {1, 3}, beam.get(0).tokens());
        assertEquals(Math.log(0.35 * 0.95) / Math.pow(7.0 / 6.0, 2), beam.get(0).score(), EPS);
    }

    @Test
    void endTokenOutsideTheBestBeamSizeContinuationsIsPruned() {
        BigramModel lm = new BigramModel(new double[][] {
                {0.05, 0.5, 0.4, 0.05},
                {0.03, 0.04, 0.03, 0.9},
                {0.5, 0.1, 0.1, 0.3},
                {0.25, 0.25, 0.25, 0.25}});
        // Step 2 ranks [1, 3] 0.45 (finished), [2, 0] 0.2, [2, 3] 0.12, [2, 1] 0.04: [2, 3] is third of
        // the continuations, outside the beam of 2, so it is pruned like any other (fairseq, HF).
        List<Hypothesis> beam = BeamSearch.search(lm, new int[] {0}, 2, 3, 0.0, EOS);
        assertArrayEquals(new int[] {1, 3}, beam.get(0).tokens());
        assertArrayEquals(new int[] {2, 0, 1}, beam.get(1).tokens());        // unfinished, 0.2 * 0.5 = 0.1
        assertEquals(Math.log(0.1), beam.get(1).logProb(), EPS);
    }

    @Test
    void allBeamsOfAStepShareOneModelCall() {
        BigramModel lm = BigramModel.random(12, 4);
        BeamSearch.search(lm, new int[] {1, 2}, 3, 4, 0.6, -1);
        assertEquals(4, lm.calls.size());
        assertEquals(List.of(1, 3, 3, 3), lm.calls.stream().map(c -> c.length).toList());
        for (int[] context : lm.calls.get(3)) {
            assertEquals(5, context.length);                                   // prompt + 3 tokens
        }
    }

    @Test
    void unfinishedBeamsCompeteWhenTokensRunOut() {
        // One step: [3] finishes with 0.3; the live beams [1] (0.6) and [0] (0.05) are returned too.
        List<Hypothesis> beam = BeamSearch.search(BigramModel.withEos(), new int[] {0}, 2, 1, 0.0, EOS);
        assertEquals(2, beam.size());
        assertArrayEquals(new int[] {1}, beam.get(0).tokens());
        assertEquals(Math.log(0.6), beam.get(0).logProb(), EPS);
        assertArrayEquals(new int[] {3}, beam.get(1).tokens());
    }

    @Test
    void invalidArgumentsAreRejectedNamingTheFlag() {
        BigramModel lm = BigramModel.myopic();
        assertEquals("--beam must be > 0, got 0", assertThrows(ConfigException.class,
                () -> BeamSearch.search(lm, new int[] {0}, 0, 5, 0.0, -1)).getMessage());
        assertEquals("--max-tokens must be > 0, got -2", assertThrows(ConfigException.class,
                () -> BeamSearch.search(lm, new int[] {0}, 2, -2, 0.0, -1)).getMessage());
        assertEquals("length penalty must be finite and >= 0, got -0.5", assertThrows(ConfigException.class,
                () -> BeamSearch.search(lm, new int[] {0}, 2, 5, -0.5, -1)).getMessage());
        assertEquals("the prompt is empty and no start token was given: pass --prompt TEXT",
                assertThrows(ConfigException.class,
                        () -> BeamSearch.search(lm, new int[0], 2, 5, 0.0, -1)).getMessage());
    }
}
