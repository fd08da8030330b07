package io.sparkformer.metrics;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * 13a tokenization against sacreBLEU. sacreBLEU's repository (mjpost/sacrebleu, test/) has no
 * test of the 13a tokenizer itself, so the expected strings were produced by sacreBLEU 2.6.0's
 * {@code sacrebleu.tokenizers.tokenizer_13a.Tokenizer13a} on these inputs; each input aims at one
 * rule (symbols, period/comma next to digits, dash after a digit, unescaping, line joins).
 */
class Tokenizer13aTest {

    static Stream<Arguments> sacrebleuOutputs() {
        return Stream.of(
                Arguments.of("The dog bit the man.", "The dog bit the man ."),
                Arguments.of("It wasn't surprising.", "It wasn't surprising ."),
                Arguments.of("3.5 million, 1,000 people (approx.) in 1990-2000!",
                        "3.5 million , 1,000 people ( approx . ) in 1990 - 2000 !"),
                Arguments.of("U.S.A. &quot;quoted&quot; &amp; <tags>", "U . S . A . \" quoted \" & < tags >"),
                Arguments.of("e-mail: a@b.com; 50% off $20 [sic] {x} ~y^z_w `q` | back\\slash",
                        "e-mail : a @ b . com ; 50 % off $ 20 [ sic ] { x } ~ y ^ z _ w ` q ` | back \\ slash"),
                Arguments.of("hyphen-\nated line\nbreak <skipped> end", "hyphenated line break end"),
                Arguments.of("a.b,c 1.2 .5 5. ,3 3,", "a . b , c 1.2 . 5 5 . , 3 3 ,"),
                Arguments.of("  many   spaces\there  ", "many spaces here"),
                Arguments.of("Ein Mann mit einem orangefarbenen Hut, der etwas anstarrt.",
                        "Ein Mann mit einem orangefarbenen Hut , der etwas anstarrt ."),
                Arguments.of("l'homme d'affaires \u2013 1\u20132 \u00ab guillemets \u00bb",
                        "l'homme d'affaires \u2013 1\u20132 \u00ab guillemets \u00bb"));
    }

    @ParameterizedTest
    @MethodSource("sacrebleuOutputs")
    void tokenizesAsSacrebleu(String line, String expected) {
        assertEquals(expected, Tokenizer13a.tokenize(line));
    }
}
