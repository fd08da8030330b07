package io.sparkformer.tokenize;

import io.sparkformer.InputException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class BpeTokenizerTest {

    private static final BpeTokenizer TRAINED = BpeTrainer.train(TinyShakespeare.OPENING, 300);

    /** Wikipedia's BPE example: merges "a a" -> 256, "a b" -> 257, "aa ab" -> 258. */
    private static final BpeTokenizer WIKIPEDIA = BpeTrainer.train(Map.of("aaabdaaabac", 1L), 259);

    private static final List<String> SPECIALS =
            List.of("<|endoftext|>", "[PAD]", "[CLS]", "[SEP]", "[MASK]");

    private static final String MIXED =
            "First Citizen: w\u00f6rld's na\u00efve \u65e5\u672c\u8a9e \uD83D\uDE00\uD83D\uDC69\u200D"
                    + "\uD83D\uDC67 \t\ttabs\r\nCRLF\n\n\n   spaces\u00a0\u3000 12345 !!?  ";

    @Test
    void roundTripIsExactForMixedUnicodeText() {
        assertEquals(MIXED, TRAINED.decode(TRAINED.encode(MIXED)));
    }

    @Test
    void roundTripIsExactForRandomCodePoints() {
        Random random = new Random(42);
        StringBuilder text = new StringBuilder();
        int[] bounds = {0x80, 0x800, 0x10000, 0x110000}; // 1-, 2-, 3- and 4-byte UTF-8
        while (text.length() < 5000) {
            int codePoint = random.nextInt(bounds[random.nextInt(bounds.length)]);
            if (Character.getType(codePoint) != Character.SURROGATE) {
                text.appendCodePoint(codePoint);
            }
        }

        assertEquals(text.toString(), TRAINED.decode(TRAINED.encode(text.toString())));
    }

    @Test
    void untrainedTokenizerEncodesUtf8BytesAsTheirValues() {
        BpeTokenizer bytesOnly = BpeTrainer.train(Map.of(), 256);

        assertArrayEquals(new int[] {'a', 0xC3, 0xA9, '\n'}, bytesOnly.encode("a\u00e9\n"));
    }

    @Test
    void encodingAppliesMergesByRankNotByPosition() {
        // "abaa": "a a" (rank 0) merges before the earlier "a b" (rank 1); "ab aa" is no merge.
        assertArrayEquals(new int[] {257, 256}, WIKIPEDIA.encode("abaa"));
        assertArrayEquals(new int[] {258}, WIKIPEDIA.encode("aaab"));
        assertArrayEquals(new int[] {258, 'd', 258, 'a', 'c'}, WIKIPEDIA.encode("aaabdaaabac"));
    }

    @Test
    void mergesNeverCrossPreTokenizedChunks() {
        // Counted as one chunk, "a." is merged; text splits into "a" and "." so the merge never applies.
        BpeTokenizer tokenizer = BpeTrainer.train(Map.of("a.", 5L), 257);

        assertArrayEquals(new int[] {'a', '.'}, tokenizer.encode("a."));
    }

    @Test
    void preTokenizeSplitsLikeGpt2() {
        assertEquals(
                List.of("Hello", " world", "'s", " ", " 123", "!!"),
                BpeTokenizer.preTokenize("Hello world's  123!!"));
        assertEquals(
                List.of("tab", "\t", "\t", "z", "\n", "\n", "q"),
                BpeTokenizer.preTokenize("tab\t\tz\n\nq"));
        // Unicode whitespace counts as whitespace, as in GPT-2 and Hugging Face.
        assertEquals(
                List.of("a", "\u00a0", "\u00a0", "b"), BpeTokenizer.preTokenize("a\u00a0\u00a0b"));
    }

    @Test
    void preTokenizedChunksConcatenateToTheText() {
        assertEquals(MIXED, String.join("", BpeTokenizer.preTokenize(MIXED)));
    }

    @Test
    void specialTokensTakeIdsAfterTheVocabulary() {
        BpeTokenizer tokenizer = TRAINED.withSpecialTokens(SPECIALS);

        assertEquals(305, tokenizer.vocabSize());
        assertEquals(300, tokenizer.specialId("<|endoftext|>"));
        assertEquals(303, tokenizer.specialId("[SEP]"));
        assertEquals(304, tokenizer.specialId("[MASK]"));
    }

    @Test
    void specialTokensDecodeAsTheirText() {
        BpeTokenizer tokenizer = TRAINED.withSpecialTokens(SPECIALS);
        int[] text = tokenizer.encode("All: \u00e9");
        int[] ids = new int[text.length + 2];
        ids[0] = tokenizer.specialId("[CLS]");
        System.arraycopy(text, 0, ids, 1, text.length);
        ids[ids.length - 1] = tokenizer.specialId("[SEP]");

        assertEquals("[CLS]All: \u00e9[SEP]", tokenizer.decode(ids));
    }

    @Test
    void encodeNeverProducesSpecialTokensFromText() {
        BpeTokenizer tokenizer = TRAINED.withSpecialTokens(SPECIALS);

        int[] ids = tokenizer.encode("[SEP]<|endoftext|>");

        assertTrue(Arrays.stream(ids).allMatch(id -> id < 300), Arrays.toString(ids));
        assertEquals("[SEP]<|endoftext|>", tokenizer.decode(ids));
    }

    @Test
    void specialIdOfAnUnknownTokenIsRejected() {
        BpeTokenizer tokenizer = TRAINED.withSpecialTokens(List.of("[PAD]"));

        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> tokenizer.specialId("[UNK]"));

        assertEquals("'[UNK]' is not a special token of this tokenizer; it has [[PAD]]", e.getMessage());
    }

    @Test
    void duplicateSpecialTokenIsRejected() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TRAINED.withSpecialTokens(List.of("[PAD]", "[PAD]")));

        assertEquals("special token '[PAD]' appears twice", e.getMessage());
    }

    @Test
    void decodeRejectsIdsOutsideTheVocabulary() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> TRAINED.decode(new int[] {300}));

        assertEquals("token id 300 is outside the vocabulary [0, 300)", e.getMessage());
    }

    @Test
    void decodeOfABytePrefixOfACharacterGivesTheReplacementCharacter() {
        BpeTokenizer bytesOnly = BpeTrainer.train(Map.of(), 256);

        assertEquals("\uFFFD", bytesOnly.decode(new int[] {0xC3}));
    }

    @Test
    void encodeRejectsAnUnpairedSurrogate() {
        InputException e = assertThrows(InputException.class, () -> TRAINED.encode("ab\uDE00c"));

        assertEquals(
                "text has an unpaired UTF-16 surrogate U+DE00 at index 2; only well-formed Unicode can be"
                        + " encoded",
                e.getMessage());
    }

    @Test
    void concurrentEncodingGivesTheSameIdsAsSequential() throws Exception {
        String[] lines = TinyShakespeare.OPENING.split("\n");
        BpeTokenizer fresh = BpeTrainer.train(TinyShakespeare.OPENING, 300); // empty cache
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<int[]>> results = new ArrayList<>();
            for (int round = 0; round < 20; round++) {
                for (String line : lines) {
                    results.add(pool.submit(() -> fresh.encode(line)));
                }
            }
            for (int i = 0; i < results.size(); i++) {
                assertArrayEquals(TRAINED.encode(lines[i % lines.length]), results.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void jsonRoundTripGivesEqualIds() {
        BpeTokenizer tokenizer = TRAINED.withSpecialTokens(SPECIALS);

        Tokenizer loaded = Tokenizer.fromJson(tokenizer.toJson());

        assertEquals("bpe", loaded.type());
        assertEquals(305, loaded.vocabSize());
        assertArrayEquals(tokenizer.encode(MIXED), loaded.encode(MIXED));
        assertEquals(304, ((BpeTokenizer) loaded).specialId("[MASK]"));
    }

    @Test
    void tinyShakespeareAt512TokensCompressesBelowSixTenthsAndRoundTrips() {
        String text = TinyShakespeare.text();
        BpeTokenizer tokenizer = BpeTrainer.train(text, 512);

        int[] ids = tokenizer.encode(text);

        assertEquals(512, tokenizer.vocabSize());
        assertTrue(ids.length < 0.6 * text.length(), ids.length + " tokens for " + text.length());
        assertEquals(text, tokenizer.decode(ids));
    }
}
