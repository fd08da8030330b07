package io.sparkformer.decode;

import io.sparkformer.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplingConfigTest {

    private static void assertRejected(String message, Executable config) {
        assertEquals(message, assertThrows(ConfigException.class, config).getMessage());
    }

    @Test
    void negativeTemperatureIsRejectedNamingTheFlag() {
        assertRejected("--temperature must be >= 0, got -1", () -> new SamplingConfig(-1, 0, 1, 10, 0));
        assertRejected("--temperature must be >= 0, got -0.5", () -> new SamplingConfig(-0.5, 0, 1, 10, 0));
    }

    @Test
    void nonFiniteTemperatureIsRejected() {
        assertRejected("--temperature must be >= 0, got NaN", () -> new SamplingConfig(Double.NaN, 0, 1, 10, 0));
        assertRejected("--temperature must be finite, got Infinity",
                () -> new SamplingConfig(Double.POSITIVE_INFINITY, 0, 1, 10, 0));
    }

    @Test
    void negativeTopKIsRejected() {
        assertRejected("--top-k must be >= 0 (0 = off), got -3", () -> new SamplingConfig(1, -3, 1, 10, 0));
    }

    @Test
    void topPOutsideZeroExclusiveToOneIsRejected() {
        assertRejected("--top-p must be within (0, 1] (1 = off), got 0", () -> new SamplingConfig(1, 0, 0, 10, 0));
        assertRejected("--top-p must be within (0, 1] (1 = off), got 1.5", () -> new SamplingConfig(1, 0, 1.5, 10, 0));
        assertRejected("--top-p must be within (0, 1] (1 = off), got NaN",
                () -> new SamplingConfig(1, 0, Double.NaN, 10, 0));
    }

    @Test
    void nonPositiveMaxTokensIsRejected() {
        assertRejected("--max-tokens must be > 0, got 0", () -> new SamplingConfig(1, 0, 1, 0, 0));
    }

    @Test
    void boundaryValuesAreAccepted() {
        assertDoesNotThrow(() -> new SamplingConfig(0, 0, 1, 1, Long.MIN_VALUE));
        assertDoesNotThrow(() -> new SamplingConfig(1e-6, 1, 1e-9, 1, 0));
        assertTrue(SamplingConfig.greedy(5).isGreedy());
    }
}
