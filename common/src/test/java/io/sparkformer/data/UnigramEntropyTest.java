package io.sparkformer.data;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnigramEntropyTest {
    @Test
    void uniformOverFourTokensIsLnFour() {
        int[] tokens = new int[400_000];   // several chunks
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 7) % 4;
        }
        assertEquals(Math.log(4), UnigramEntropy.nats(new ArrayTokenSource(tokens)), 1e-12);
    }

    @Test
    void skewedStreamMatchesTheFormulaAndLargeIdsGrowTheTable() {
        // p = 3/4 for id 5000, 1/4 for id 1: H = -(3/4 ln 3/4 + 1/4 ln 1/4)
        int[] tokens = {5000, 1, 5000, 5000, 5000, 1, 5000, 5000};
        double expected = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
        assertEquals(expected, UnigramEntropy.nats(new ArrayTokenSource(tokens)), 1e-12);
        assertEquals(0.0, UnigramEntropy.nats(new ArrayTokenSource(new int[] {3, 3, 3})), 0.0);
        assertTrue(Double.isNaN(UnigramEntropy.nats(new ArrayTokenSource(new int[0]))));
    }
}
