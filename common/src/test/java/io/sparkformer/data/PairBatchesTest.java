package io.sparkformer.data;

import io.sparkformer.InputException;
import io.sparkformer.tokenize.TranslationTokens;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PairBatchesTest {
    // pad 20, <s> 21, </s> 22
    private static final TranslationTokens TOKENS = new TranslationTokens(20, 21, 22, 20);

    @Test
    void teacherForcingShiftsTargetsRightAndPadsBothSidesWithMasks() {
        TranslationPairs pairs = new TranslationPairs(new int[][] {{1, 2, 3}, {4}}, new int[][] {{5, 6}, {7, 8, 9, 10}});
        DataSet d = PairBatches.of(pairs, new int[] {0, 1}, TOKENS, TOKENS);
        // L = max(3 + 1, 1 + 1, 2 + 1, 4 + 1) = 5: source "x </s>" | decoder input "<s> y".
        assertArrayEquals(new float[] {1, 2, 3, 22, 20, 21, 5, 6, 20, 20}, d.getFeatures().getRow(0).toFloatVector());
        assertArrayEquals(new float[] {4, 22, 20, 20, 20, 21, 7, 8, 9, 10}, d.getFeatures().getRow(1).toFloatVector());
        assertArrayEquals(new float[] {1, 1, 1, 1, 0, 1, 1, 1, 0, 0}, d.getFeaturesMaskArray().getRow(0).toFloatVector());
        assertArrayEquals(new float[] {1, 1, 0, 0, 0, 1, 1, 1, 1, 1}, d.getFeaturesMaskArray().getRow(1).toFloatVector());
        // Labels "y </s>": the next token at every decoder position.
        assertArrayEquals(new float[] {5, 6, 22, 20, 20}, d.getLabels().getRow(0).toFloatVector());
        assertArrayEquals(new float[] {7, 8, 9, 10, 22}, d.getLabels().getRow(1).toFloatVector());
        assertArrayEquals(new float[] {1, 1, 1, 0, 0}, d.getLabelsMaskArray().getRow(0).toFloatVector());
        assertArrayEquals(new float[] {1, 1, 1, 1, 1}, d.getLabelsMaskArray().getRow(1).toFloatVector());
    }

    @Test
    void anEpochUsesEveryPairAtMostOnceInFullBatchesAndIsReproducible() {
        int n = 103;
        int[][] s = new int[n][];
        int[][] t = new int[n][];
        for (int i = 0; i < n; i++) {
            s[i] = new int[] {i % 20, (i * 7) % 20};
            t[i] = new int[1 + i % 5];
        }
        PairBatches batches = new PairBatches(new TranslationPairs(s, t), TOKENS, TOKENS, 10, 2, 9);
        assertEquals(10, batches.batchesPerEpoch());
        int[][] epoch = batches.epoch(0);
        Set<Integer> seen = new HashSet<>();
        for (int[] b : epoch) {
            assertEquals(10, b.length);
            for (int i : b) {
                assertTrue(seen.add(i), "pair " + i + " twice in one epoch");
            }
        }
        assertEquals(100, seen.size());
        int[][] again = new PairBatches(new TranslationPairs(s, t), TOKENS, TOKENS, 10, 2, 9).epoch(0);
        assertTrue(Arrays.deepEquals(epoch, again), "the same seed gave another order");
        assertTrue(!Arrays.deepEquals(epoch, batches.epoch(1)), "two epochs in the same order");
        // Step 1 of worker 0 is the epoch's batch 2 (global index s * W + w).
        assertEquals(batches.batch(1, 0).getFeatures(), PairBatches.of(new TranslationPairs(s, t), epoch[2], TOKENS,
                TOKENS).getFeatures());
    }

    @Test
    void fewerPairsThanOneBatchIsAnInputError() {
        TranslationPairs pairs = new TranslationPairs(new int[][] {{1}}, new int[][] {{2}});
        InputException e = assertThrows(InputException.class, () -> new PairBatches(pairs, TOKENS, TOKENS, 4, 1, 1));
        assertEquals("the training corpus has 1 usable pairs, fewer than one batch of train.batchSize = 4",
                e.getMessage());
    }
}
