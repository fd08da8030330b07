package io.sparkformer.data;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExampleBatchesTest {
    private static final int PAD = 99;

    /** Example i has length 3 + i % 7 and tokens equal to i (so a row names its example). */
    private static LabeledExamples examples(int n) {
        int[][] tokens = new int[n][];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = new Random(i).ints(3 + i % 7, i, i + 1).toArray();
            labels[i] = i % 2;
        }
        return new LabeledExamples(tokens, labels, 0);
    }

    @Test
    void anEpochUsesEveryExampleAtMostOnceInFullBatches() {
        ExampleBatches batches = new ExampleBatches(examples(1003), 10, 2, 7, PAD);
        assertEquals(100, batches.batchesPerEpoch());
        Set<Integer> seen = new HashSet<>();
        for (long step = 0; step < 50; step++) {          // 50 steps x 2 workers = one epoch
            for (int worker = 0; worker < 2; worker++) {
                DataSet b = batches.batch(step, worker);
                assertEquals(10, b.numExamples());
                for (int r = 0; r < 10; r++) {
                    int example = b.getFeatures().getInt(r, 0);
                    assertTrue(seen.add(example), "example " + example + " twice in one epoch");
                    assertEquals(example % 2, b.getLabels().getInt(r, 0));
                }
            }
        }
        assertEquals(1000, seen.size());
        assertEquals(1.0, batches.epochs(50), 1e-12);
    }

    @Test
    void batchesArePaddedToTheirLongestTextWithAMask() {
        DataSet b = ExampleBatches.of(examples(10), new int[] {0, 6}, PAD);   // lengths 3 and 9
        assertEquals(9, b.getFeatures().size(1));
        assertEquals(3.0, b.getFeaturesMaskArray().getRow(0).sumNumber().doubleValue());
        assertEquals(9.0, b.getFeaturesMaskArray().getRow(1).sumNumber().doubleValue());
        assertEquals(PAD, b.getFeatures().getInt(0, 3));
        assertEquals(0, b.getFeaturesMaskArray().getInt(0, 3));
    }

    @Test
    void theOrderIsAPureFunctionOfTheSeedAndChangesEachEpoch() {
        ExampleBatches a = new ExampleBatches(examples(200), 8, 1, 3, PAD);
        ExampleBatches b = new ExampleBatches(examples(200), 8, 1, 3, PAD);
        assertEquals(a.batch(30, 0).getFeatures(), b.batch(30, 0).getFeatures());
        assertNotEquals(a.batch(0, 0).getFeatures(), a.batch(a.batchesPerEpoch(), 0).getFeatures());
        // Length-sorted buckets keep padding low: the rows of a batch are of similar length.
        DataSet batch = a.batch(5, 0);
        double real = batch.getFeaturesMaskArray().sumNumber().doubleValue();
        assertTrue(real / batch.getFeaturesMaskArray().length() > 0.8, "little padding: " + real);
    }

    @Test
    void evaluationBatchesHoldEveryExampleOnceInLengthOrder() {
        LabeledExamples examples = examples(25);
        List<int[]> batches = ExampleBatches.byLength(examples, 4);
        assertEquals(7, batches.size());
        assertEquals(1, batches.get(6).length);
        int[] all = batches.stream().flatMapToInt(java.util.Arrays::stream).toArray();
        assertArrayEquals(java.util.stream.IntStream.range(0, 25).toArray(), java.util.Arrays.stream(all).sorted().toArray());
        for (int k = 1; k < all.length; k++) {
            assertTrue(examples.tokens()[all[k - 1]].length <= examples.tokens()[all[k]].length, "sorted by length");
        }
    }
}
