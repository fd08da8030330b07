package io.sparkformer.metrics;

import io.sparkformer.metrics.Bleu.Options;
import io.sparkformer.metrics.Bleu.Smoothing;
import io.sparkformer.metrics.Bleu.Statistics;
import io.sparkformer.metrics.Bleu.Tokenize;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Corpus BLEU: small cases computed by hand, then sacreBLEU's own expected values, ported verbatim
 * from mjpost/sacrebleu {@code test/test_bleu.py} and {@code test/test_sentence_bleu.py} (commit
 * f615c7286d4d813370efb824d94fc2bfcd3a6b94). Their {@code raw_corpus_bleu} is tokenize "none",
 * "floor" smoothing and effective order; their scores in [0, 1] are ours divided by 100.
 */
class BleuTest {
    private static final double EPSILON = 1e-8;
    private static final Options RAW = Options.DEFAULT.withTokenize(Tokenize.NONE).withEffectiveOrder(true);

    private static double raw(List<String> hyps, List<List<String>> refs, double floor) {
        return Bleu.corpus(hyps, refs, RAW.withSmoothing(Smoothing.FLOOR, floor)).score() / 100;
    }

    // ---- by hand ----

    @Test
    void identicalOutputScoresHundred() {
        assertEquals(100.0, Bleu.corpus(List.of("a man rides a horse ."), List.of("a man rides a horse .")).score(),
                1e-12);
    }

    @Test
    void missingFourGramGivesZeroWithoutSmoothingAndExpSmoothingByDefault() {
        // hyp "the cat sat on the mat" vs ref "the cat is on the mat": matches 5/6, 3/5, 1/4, 0/3.
        List<String> hyp = List.of("the cat sat on the mat");
        List<List<String>> ref = List.of(List.of("the cat is on the mat"));
        Bleu.Score plain = Bleu.corpus(hyp, ref, Options.DEFAULT.withSmoothing(Smoothing.NONE, Double.NaN));
        assertArrayEquals(new long[] {5, 3, 1, 0}, plain.statistics().correct());
        assertArrayEquals(new long[] {6, 5, 4, 3}, plain.statistics().total());
        assertEquals(0.0, plain.score(), 1e-12);
        // sacreBLEU's default "exp" smoothing: the first order without a match counts as 1 / (2 * total).
        double expected = 100 * Math.pow(5.0 / 6 * 3.0 / 5 * 1.0 / 4 * 1.0 / 6, 0.25);
        assertEquals(expected, Bleu.corpus(hyp, ref, Options.DEFAULT).score(), 1e-9);
        assertEquals(expected, Bleu.corpus(hyp, ref.get(0)).score(), 1e-9);
    }

    @Test
    void expSmoothingHalvesAgainForEachFurtherOrderWithoutAMatch() {
        // hyp "a b x c d" vs ref "a b y c d": matches 4/5, 2/4, 0/3, 0/2 -> 1/(2*3) and 1/(4*2).
        Bleu.Score s = Bleu.corpus(List.of("a b x c d"), List.of("a b y c d"));
        assertArrayEquals(new long[] {4, 2, 0, 0}, s.statistics().correct());
        assertEquals(100 * Math.pow(4.0 / 5 * 2.0 / 4 * 1.0 / 6 * 1.0 / 8, 0.25), s.score(), 1e-9);
    }

    @Test
    void shortOutputPaysTheBrevityPenalty() {
        // hyp 4 tokens, all four n-gram orders match fully (1 4-gram); ref 6 tokens: BP = exp(1 - 6/4).
        Bleu.Score s = Bleu.corpus(List.of("a b c d"), List.of("a b c d e f"));
        assertEquals(Math.exp(1 - 6.0 / 4), s.brevityPenalty(), 1e-12);
        assertEquals(100 * Math.exp(1 - 6.0 / 4), s.score(), 1e-9);
    }

    @Test
    void closestReferenceLengthPrefersTheShorterOnTies() {
        // hyp 5 tokens, references of 4 and 6 tokens are equally close: 4 counts, so no penalty.
        Statistics s = Bleu.statistics("a b c d e", List.of("a b c d e f", "a b c d"), Options.DEFAULT);
        assertEquals(5, s.hypLength());
        assertEquals(4, s.refLength());
    }

    @Test
    void matchesAreClippedByTheReferenceCount() {
        // "the the the the" against "the cat": unigram "the" counts once.
        Statistics s = Bleu.statistics("the the the the", List.of("the cat"), Options.DEFAULT);
        assertEquals(1, s.correct()[0]);
        assertEquals(4, s.total()[0]);
    }

    @Test
    void corpusStatisticsAreSummedBeforeTheMean() {
        // Two segments: the corpus score is not the mean of sentence scores.
        List<String> hyps = List.of("a b c d", "w x y z");
        List<String> refs = List.of("a b c d", "w x q z");
        Bleu.Score s = Bleu.corpus(hyps, refs);
        assertArrayEquals(new long[] {7, 4, 2, 1}, s.statistics().correct());
        assertArrayEquals(new long[] {8, 6, 4, 2}, s.statistics().total());
        assertEquals(100 * Math.pow(7.0 / 8 * 4.0 / 6 * 2.0 / 4 * 1.0 / 2, 0.25), s.score(), 1e-9);
    }

    @Test
    void mismatchedReferenceCountIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Bleu.corpus(List.of("a", "b"), List.of("a")));
        assertEquals("reference stream 1 has 1 segments but there are 2 hypotheses", e.getMessage());
    }

    // ---- sacreBLEU test/test_bleu.py ----

    private static final List<List<String>> REFS = List.of(
            List.of("The dog bit the man.", "It was not unexpected.", "The man bit him first."),
            List.of("The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."));
    private static final List<String> HYPS = List.of(
            "The dog bit the man.",
            "It wasn't surprising.",
            "The man had just bitten him.");

    static Stream<Arguments> corpusBleuCases() {
        return Stream.of(
                Arguments.of(HYPS, Options.DEFAULT.withSmoothing(Smoothing.EXP, Double.NaN), 48.530827),
                Arguments.of(List.of("", "", ""), Options.DEFAULT.withSmoothing(Smoothing.EXP, Double.NaN), 0.0),
                Arguments.of(HYPS, Options.DEFAULT.withTokenize(Tokenize.NONE).withSmoothing(Smoothing.EXP, Double.NaN),
                        49.1919566),
                Arguments.of(HYPS, Options.DEFAULT, 48.530827));
    }

    @ParameterizedTest
    @MethodSource("corpusBleuCases")
    void corpusBleuMatchesSacrebleu(List<String> hyps, Options options, double expected) {
        assertEquals(expected, Bleu.corpus(hyps, REFS, options).score(), EPSILON);
    }

    @Test
    void rawBleuMatchesSacrebleu() {
        assertEquals(0.0, raw(List.of("this is a test", "another test"), List.of(List.of("ref1", "ref2")), 0.01),
                EPSILON);
        assertEquals(1.0, raw(List.of("this is a test"), List.of(List.of("this is a test")), 0.01), EPSILON);
        assertEquals(0.223606797749979, raw(List.of("this is a fest"), List.of(List.of("this is a test")), 0.01),
                EPSILON);
    }

    @Test
    void effectiveOrderMatchesSacrebleu() {
        assertEquals(0.3678794411714425, raw(List.of("test"), List.of(List.of("a test")), 0.01), EPSILON);
        assertEquals(1.0, raw(List.of("a test"), List.of(List.of("a test")), 0.01), EPSILON);
        assertEquals(0.03218297948685433, raw(List.of("a little test"), List.of(List.of("a test")), 0.01), EPSILON);
    }

    @Test
    void statisticsMatchSacrebleu() {
        Statistics s = Bleu.statistics("am I am a character sequence", List.of("I am a symbol string sequence a a"),
                RAW);
        assertArrayEquals(new long[] {4, 2, 1, 0}, s.correct());
        assertArrayEquals(new long[] {6, 5, 4, 3}, s.total());
    }

    @Test
    void scoringMatchesSacrebleu() {
        Statistics s = new Statistics(11, 11, new long[] {9, 7, 5, 3}, new long[] {10, 8, 6, 4});
        assertEquals(0.8375922397, Bleu.score(s, Options.DEFAULT).score() / 100, EPSILON);
    }

    @Test
    void floorOffsetMatchesSacrebleu() {
        List<String> hyp = List.of("am I am a character sequence");
        List<List<String>> ref = List.of(List.of("I am a symbol string sequence a a"));
        assertEquals(0.0, raw(hyp, ref, 0.0), EPSILON);
        assertEquals(0.1555722182, raw(hyp, ref, Double.NaN), EPSILON);   // sacreBLEU's default floor, 0.1
        assertEquals(0.1555722182, raw(hyp, ref, 0.1), EPSILON);
    }

    static Stream<Arguments> degenerateStatistics() {
        return Stream.of(
                Arguments.of(new long[] {0, 0, 0, 0}, new long[] {4, 4, 2, 1}, 0, 1, 0.0),
                Arguments.of(new long[] {0, 0, 0, 0}, new long[] {10, 11, 12, 0}, 14, 10, 0.0),
                Arguments.of(new long[] {0, 0, 0, 0}, new long[] {0, 0, 0, 0}, 0, 0, 0.0),
                Arguments.of(new long[] {6, 5, 4, 0}, new long[] {6, 5, 4, 3}, 6, 6, 0.0),
                Arguments.of(new long[] {0, 0, 0, 0}, new long[] {0, 0, 0, 0}, 0, 0, 0.1),
                Arguments.of(new long[] {0, 0, 0, 0}, new long[] {0, 0, 0, 0}, 1, 5, 0.01));
    }

    @ParameterizedTest
    @MethodSource("degenerateStatistics")
    void degenerateStatisticsScoreZeroAsInSacrebleu(long[] correct, long[] total, long hypLength, long refLength,
                                                    double floor) {
        Statistics s = new Statistics(hypLength, refLength, correct, total);
        assertEquals(0.0, Bleu.score(s, Options.DEFAULT.withSmoothing(Smoothing.FLOOR, floor)).score());
    }

    // ---- sacreBLEU test/test_sentence_bleu.py (sentence BLEU = effective order) ----

    private static final String SENTENCE_REF = "producţia de zahăr brut se exprimă în zahăr alb;";
    private static final String SENTENCE_SYS =
            "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;";

    static Stream<Arguments> sentenceBleuCases() {
        return Stream.of(
                Arguments.of(Smoothing.EXP, Double.NaN, Tokenize.THIRTEEN_A, 8.493),
                Arguments.of(Smoothing.NONE, Double.NaN, Tokenize.THIRTEEN_A, 0.0),
                Arguments.of(Smoothing.FLOOR, Double.NaN, Tokenize.THIRTEEN_A, 4.51688),
                Arguments.of(Smoothing.FLOOR, 0.1, Tokenize.THIRTEEN_A, 4.51688),
                Arguments.of(Smoothing.FLOOR, 0.5, Tokenize.THIRTEEN_A, 10.10),
                Arguments.of(Smoothing.ADD_K, Double.NaN, Tokenize.THIRTEEN_A, 14.882),
                Arguments.of(Smoothing.ADD_K, 1.0, Tokenize.THIRTEEN_A, 14.882),
                Arguments.of(Smoothing.ADD_K, 2.0, Tokenize.THIRTEEN_A, 21.389),
                Arguments.of(Smoothing.EXP, Double.NaN, Tokenize.NONE, 7.347));
    }

    @ParameterizedTest
    @MethodSource("sentenceBleuCases")
    void sentenceBleuMatchesSacrebleu(Smoothing smoothing, double value, Tokenize tokenize, double expected) {
        Options options = Options.DEFAULT.withTokenize(tokenize).withSmoothing(smoothing, value).withEffectiveOrder(true);
        double score = Bleu.corpus(List.of(SENTENCE_SYS), List.of(List.of(SENTENCE_REF)), options).score();
        assertEquals(expected, score, 1e-3);
    }

    @Test
    void zeroBleuSentenceStaysZeroWithEverySmoothing() {
        for (Smoothing smoothing : Smoothing.values()) {
            Options options = Options.DEFAULT.withSmoothing(smoothing, Double.NaN).withEffectiveOrder(true);
            assertEquals(0.0, Bleu.corpus(List.of("this is a cat"), List.of(List.of("okay thanks")), options).score(),
                    1e-3, smoothing.name());
        }
    }

    @Test
    void summaryLineReadsLikeSacrebleus() {
        // sacreBLEU 2.6.0 prints exactly this line for the README example above.
        assertEquals("BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)",
                Bleu.corpus(HYPS, REFS, Options.DEFAULT).toString());
    }
}
