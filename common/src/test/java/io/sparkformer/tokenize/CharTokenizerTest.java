package io.sparkformer.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class CharTokenizerTest {

    @Test
    void tinyShakespeareVocabularyIsNanoGptsSixtyFiveCharacters() {
        CharTokenizer tokenizer = CharTokenizer.fit(TinyShakespeare.text());

        assertEquals(65, tokenizer.vocabSize());
        assertEquals(
                TinyShakespeare.VOCABULARY, tokenizer.decode(IntStream.range(0, 65).toArray()));
    }

    @Test
    void tinyShakespeareRoundTripsExactly() {
        String text = TinyShakespeare.text();
        CharTokenizer tokenizer = CharTokenizer.fit(text);

        int[] ids = tokenizer.encode(text);

        assertEquals(text.length(), ids.length);
        assertEquals(text, tokenizer.decode(ids));
    }

    @Test
    void idsFollowSortedCodePointOrder() {
        CharTokenizer tokenizer = CharTokenizer.fit("cab\nbca");

        assertArrayEquals(new int[] {0, 1, 2, 3}, tokenizer.encode("\nabc"));
    }

    @Test
    void ofCodePointsIgnoresTheSetsOwnOrdering() {
        TreeSet<Integer> descending = new TreeSet<>(Comparator.reverseOrder());
        descending.addAll(List.of((int) 'c', (int) 'a', (int) 'b'));

        CharTokenizer tokenizer = CharTokenizer.ofCodePoints(descending);

        assertArrayEquals(new int[] {0, 1, 2}, tokenizer.encode("abc"));
    }

    @Test
    void supplementaryCodePointIsOneToken() {
        CharTokenizer tokenizer = CharTokenizer.fit("a\uD83D\uDE00b"); // a😀b

        assertEquals(3, tokenizer.vocabSize());
        assertArrayEquals(new int[] {2, 0}, tokenizer.encode("\uD83D\uDE00a"));
        assertEquals("\uD83D\uDE00", tokenizer.decode(new int[] {2}));
    }

    @Test
    void unknownCharacterMessageNamesCharacterCodePointAndOffset() {
        CharTokenizer tokenizer = CharTokenizer.fit(TinyShakespeare.VOCABULARY);

        UnknownCharacterException e =
                assertThrows(UnknownCharacterException.class, () -> tokenizer.encode("Before we pr\u00e9"));

        assertEquals(
                "character '\u00e9' (U+00E9) at offset 12 is not in the tokenizer's vocabulary of 65"
                        + " characters",
                e.getMessage());
    }

    @Test
    void unknownCharacterOffsetCountsCodePointsNotUtf16Units() {
        CharTokenizer tokenizer = CharTokenizer.fit("a\uD83D\uDE00");

        UnknownCharacterException e =
                assertThrows(
                        UnknownCharacterException.class, () -> tokenizer.encode("\uD83D\uDE00\uD83D\uDE00x"));

        assertEquals('x', e.codePoint());
        assertEquals(2, e.offset());
    }

    @Test
    void unknownNewlineIsEscapedSoTheMessageStaysOneLine() {
        CharTokenizer tokenizer = CharTokenizer.fit("a");

        UnknownCharacterException e =
                assertThrows(UnknownCharacterException.class, () -> tokenizer.encode("a\n"));

        assertEquals(
                "character '\\n' (U+000A) at offset 1 is not in the tokenizer's vocabulary of 1 character",
                e.getMessage());
    }

    @Test
    void coversTellsWhetherEveryCharacterIsInTheVocabulary() {
        CharTokenizer tokenizer = CharTokenizer.fit("abc");

        assertTrue(tokenizer.covers("cab"));
        assertTrue(tokenizer.covers(""));
        assertFalse(tokenizer.covers("abd"));
    }

    @Test
    void decodeRejectsIdsOutsideTheVocabulary() {
        CharTokenizer tokenizer = CharTokenizer.fit("abc");

        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[] {0, 3}));

        assertEquals("token id 3 is outside the vocabulary [0, 3)", e.getMessage());
    }

    @Test
    void textWithUnpairedSurrogateCannotBeFitted() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> CharTokenizer.fit("a\uD83D"));

        assertEquals(
                "U+D83D is an unpaired UTF-16 surrogate, not a character: the text is not well-formed"
                        + " Unicode",
                e.getMessage());
    }

    @Test
    void jsonRoundTripGivesEqualIds() {
        String text = "Hello, w\u00f6rld \uD83D\uDE00\n\ttab";
        CharTokenizer tokenizer = CharTokenizer.fit(text);

        Tokenizer loaded = Tokenizer.fromJson(tokenizer.toJson());

        assertEquals("char", loaded.type());
        assertEquals(tokenizer.vocabSize(), loaded.vocabSize());
        assertArrayEquals(tokenizer.encode(text), loaded.encode(text));
    }
}
