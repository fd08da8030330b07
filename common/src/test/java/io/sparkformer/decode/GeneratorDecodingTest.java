package io.sparkformer.decode;

import io.sparkformer.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GeneratorDecodingTest {
    @Test
    void greedyPicksTheArgmaxAtEveryStepGivenTheWholeContext() {
        BigramModel lm = BigramModel.myopic();
        int[] out = new Generator().generate(lm, new int[] {2, 0}, SamplingConfig.greedy(4));
        assertArrayEquals(new int[] {1, 0, 1, 0}, out);
        assertEquals(4, lm.calls.size());
        assertArrayEquals(new int[][] {{2, 0, 1, 0}}, lm.calls.get(2));
    }

    @Test
    void stopTokenEndsGenerationAndIsReturned() {
        int[] out = new Generator(3, Generator.NONE).generate(BigramModel.withEos(), new int[] {0}, SamplingConfig.greedy(10));
        assertArrayEquals(new int[] {1, 3}, out);
    }

    @Test
    void emptyPromptWithoutStartTokenIsRejected() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> new Generator().generate(BigramModel.myopic(), new int[0], SamplingConfig.greedy(3)));
        assertEquals("the prompt is empty and no start token was given: pass --prompt TEXT", e.getMessage());
    }

    @Test
    void emptyPromptStartsFromTheStartTokenWhichIsNotReturned() {
        BigramModel lm = BigramModel.myopic();
        int[] out = new Generator(Generator.NONE, 2).generate(lm, new int[0], SamplingConfig.greedy(3));
        assertArrayEquals(new int[] {2, 2, 2}, out);
        assertArrayEquals(new int[][] {{2}}, lm.calls.get(0));
    }

    @Test
    void topKOneGenerationEqualsGreedyWhateverTheTemperature() {
        BigramModel lm = BigramModel.random(12, 21);
        int[] greedy = new Generator().generate(lm, new int[] {5}, SamplingConfig.greedy(30));
        for (double temperature : new double[] {0.3, 1, 50}) {
            SamplingConfig cfg = new SamplingConfig(temperature, 1, 1, 30, 99);
            assertArrayEquals(greedy, new Generator().generate(lm, new int[] {5}, cfg), "temperature " + temperature);
        }
    }

    @Test
    void sameSeedGivesTheSameTokensAndDifferentSeedsDiffer() {
        BigramModel flat = BigramModel.uniform(16);
        SamplingConfig seed1 = new SamplingConfig(1, 0, 1, 30, 1);
        int[] a = new Generator().generate(flat, new int[] {0}, seed1);
        int[] b = new Generator().generate(flat, new int[] {0}, seed1);
        int[] c = new Generator().generate(flat, new int[] {0}, new SamplingConfig(1, 0, 1, 30, 2));
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c), "30 equal draws from 16 tokens has probability 16^-30");
    }
}
