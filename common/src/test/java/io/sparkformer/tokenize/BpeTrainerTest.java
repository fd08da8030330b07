package io.sparkformer.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {

    @Test
    void firstMergeIsTheMostFrequentPair() {
        // Pair counts: "l o" 3+2+5 = 10, "o w" 7, "e l" 5, "l l" 5, "h e" 3, "y e" 2.
        BpeTokenizer tokenizer =
                BpeTrainer.train(Map.of("hello", 3L, "yellow", 2L, "low", 5L), 257);

        assertArrayEquals(new int[] {256}, tokenizer.encode("lo"));
        assertArrayEquals(new int[] {'o', 'w'}, tokenizer.encode("ow"));
    }

    @Test
    void pairFrequencyTiesGoToTheSmallestIds() {
        BpeTokenizer tokenizer = BpeTrainer.train(Map.of("cd", 1L, "ab", 1L), 257);

        assertArrayEquals(new int[] {256}, tokenizer.encode("ab"));
        assertArrayEquals(new int[] {'c', 'd'}, tokenizer.encode("cd"));
    }

    @Test
    void wikipediaExampleLearnsMergesInHandComputedOrder() {
        // "aaabdaaabac": "a a" occurs 4 times; then "a b" and "aa a" tie at 2 and 97 < 256 wins;
        // then "aa ab" occurs twice.
        BpeTokenizer tokenizer = BpeTrainer.train(Map.of("aaabdaaabac", 1L), 259);

        assertEquals("aa", tokenizer.decode(new int[] {256}));
        assertEquals("ab", tokenizer.decode(new int[] {257}));
        assertEquals("aaab", tokenizer.decode(new int[] {258}));
        assertArrayEquals(new int[] {258, 'd', 258, 'a', 'c'}, tokenizer.encode("aaabdaaabac"));
    }

    @Test
    void vocabSizeIsReachedExactly() {
        BpeTokenizer tokenizer = BpeTrainer.train(TinyShakespeare.OPENING, 300);

        assertEquals(300, tokenizer.vocabSize());
        assertEquals(44, tokenizer.mergeCount());
    }

    @Test
    void trainingStopsWhenNoPairIsLeft() {
        BpeTokenizer tokenizer = BpeTrainer.train(Map.of("ab", 1L, "c", 9L), 1000);

        assertEquals(257, tokenizer.vocabSize());
    }

    @Test
    void trainingTwiceGivesIdenticalJson() {
        String first = BpeTrainer.train(TinyShakespeare.OPENING, 330).toJson();
        String second = BpeTrainer.train(TinyShakespeare.OPENING, 330).toJson();

        assertEquals(first, second);
    }

    @Test
    void trainingDoesNotDependOnWordCountOrder() {
        Map<String, Long> counts = new HashMap<>();
        BpeTokenizer.preTokenize(TinyShakespeare.OPENING).forEach(c -> counts.merge(c, 1L, Long::sum));
        Map<String, Long> reversed = new TreeMap<>(Comparator.reverseOrder());
        reversed.putAll(counts);

        assertEquals(
                BpeTrainer.train(counts, 330).toJson(), BpeTrainer.train(reversed, 330).toJson());
    }

    @Test
    void textAndItsChunkCountsTrainTheSameTokenizer() {
        Map<String, Long> counts = new HashMap<>();
        BpeTokenizer.preTokenize(TinyShakespeare.OPENING).forEach(c -> counts.merge(c, 1L, Long::sum));

        assertEquals(
                BpeTrainer.train(TinyShakespeare.OPENING, 330).toJson(),
                BpeTrainer.train(counts, 330).toJson());
    }

    @Test
    void vocabSizeBelowTheByteAlphabetIsRejected() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> BpeTrainer.train(TinyShakespeare.OPENING, 255));

        assertEquals("vocabSize must be at least 256 (one token per byte value), got 255", e.getMessage());
    }

    @Test
    void vocabSizeCountsTheSpecialTokens() {
        List<String> specials = List.of("[PAD]", "[CLS]", "[SEP]", "[MASK]");
        Map<String, Long> counts = Map.of("hello", 3L, "yellow", 2L, "low", 5L);

        BpeTokenizer tokenizer = BpeTrainer.train(counts, 262, specials);

        assertEquals(262, tokenizer.vocabSize());
        assertEquals(2, tokenizer.mergeCount());
        assertEquals(258, tokenizer.specialId("[PAD]"));
    }

    @Test
    void vocabSizeWithoutRoomForTheSpecialTokensIsRejected() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> BpeTrainer.train(Map.of("ab", 1L), 257, List.of("[PAD]", "[CLS]")));

        assertEquals(
                "vocabSize must be at least 258 (256 byte tokens + 2 special tokens), got 257",
                e.getMessage());
    }

    @Test
    void nonPositiveCountIsRejected() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> BpeTrainer.train(Map.of("ab", 0L), 300));

        assertEquals("count of chunk 'ab' must be positive, got 0", e.getMessage());
    }

    @Test
    void trainsTwoThousandMergesOnTinyShakespeareWellWithinThirtySeconds() {
        String text = TinyShakespeare.text();

        BpeTokenizer tokenizer =
                assertTimeoutPreemptively(Duration.ofSeconds(30), () -> BpeTrainer.train(text, 2256));

        assertEquals(2000, tokenizer.mergeCount());
    }
}
