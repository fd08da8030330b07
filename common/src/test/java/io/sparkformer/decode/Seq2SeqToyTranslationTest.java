package io.sparkformer.decode;

import io.sparkformer.data.PairBatches;
import io.sparkformer.data.TranslationPairs;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.seq2seq.Seq2SeqGraphBuilder;
import io.sparkformer.model.seq2seq.Seq2SeqSpec;
import io.sparkformer.tokenize.TranslationTokens;
import io.sparkformer.train.WarmupCosineSchedule;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tiny encoder-decoder trained in-process for a few hundred steps on a toy "translation":
 * reversing a sequence of digits. Greedy and beam decoding must then translate unseen sequences,
 * and beam search must never find an output the model scores lower than greedy's.
 */
class Seq2SeqToyTranslationTest {
    private static final int DIGITS = 10;
    private static final TranslationTokens TOKENS = new TranslationTokens(10, 11, 12, DIGITS);
    private static final int STEPS = 400;
    private static ComputationGraph net;
    private static List<int[]> heldOut;

    private static int[] randomDigits(Random r) {
        int[] x = new int[2 + r.nextInt(5)];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(DIGITS);
        }
        return x;
    }

    private static int[] reversed(int[] x) {
        int[] y = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[x.length - 1 - i];
        }
        return y;
    }

    @BeforeAll
    static void train() {
        Random r = new Random(3);
        int n = 4000;
        int[][] sources = new int[n][];
        int[][] targets = new int[n][];
        for (int i = 0; i < n; i++) {
            sources[i] = randomDigits(r);
            targets[i] = reversed(sources[i]);
        }
        PairBatches batches = new PairBatches(new TranslationPairs(sources, targets), TOKENS, TOKENS, 32, 1, 7);
        Seq2SeqSpec spec = new Seq2SeqSpec(13, 13, 8, Architecture.preNorm(64, 4, 2, 128, false, false, 1e-5, 0.0),
                true, true, 0.0);
        Adam adam = Adam.builder().learningRateSchedule(new WarmupCosineSchedule(3e-3, 3e-4, 40, STEPS))
                .beta1(0.9).beta2(0.98).build();
        net = Seq2SeqGraphBuilder.build(spec, adam, List.of(), 1.0, 11, DataType.FLOAT);
        for (int step = 0; step < STEPS; step++) {
            net.fit(batches.batch(step, 0));
        }
        heldOut = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            heldOut.add(randomDigits(r));
        }
    }

    private static double accuracy(List<Seq2SeqTranslator.Translation> out) {
        int right = 0;
        for (int i = 0; i < heldOut.size(); i++) {
            right += Arrays.equals(reversed(heldOut.get(i)), out.get(i).text()) ? 1 : 0;
        }
        return (double) right / heldOut.size();
    }

    @Test
    void greedyDecodingLearnsToReverse() {
        Seq2SeqTranslator translator = new Seq2SeqTranslator(net, TOKENS, TOKENS);
        List<Seq2SeqTranslator.Translation> out = translator.translate(heldOut, Seq2SeqTranslator.Options.greedy(8));
        assertTrue(accuracy(out) >= 0.9, "greedy reversed only " + accuracy(out) + " of unseen sequences");
        assertEquals(TOKENS.eos(), out.get(0).tokens()[out.get(0).tokens().length - 1], "no </s> at the end");
    }

    @Test
    void beamSearchLearnsToReverse() {
        Seq2SeqTranslator translator = new Seq2SeqTranslator(net, TOKENS, TOKENS);
        List<Seq2SeqTranslator.Translation> out = translator.translate(heldOut,
                new Seq2SeqTranslator.Options(4, 0.6, 8, 16));
        assertTrue(accuracy(out) >= 0.9, "beam search reversed only " + accuracy(out) + " of unseen sequences");
    }

    @Test
    void beamSearchScoresAtLeastGreedyInModelLogProbability() {
        Seq2SeqTranslator translator = new Seq2SeqTranslator(net, TOKENS, TOKENS);
        List<Seq2SeqTranslator.Translation> greedy = translator.translate(heldOut,
                Seq2SeqTranslator.Options.greedy(8));
        // Length penalty 0: beams are ranked by the same log-probability that is compared here.
        List<Seq2SeqTranslator.Translation> beam = translator.translate(heldOut,
                new Seq2SeqTranslator.Options(4, 0.0, 8, 16));
        for (int i = 0; i < heldOut.size(); i++) {
            double g = translator.logProb(heldOut.get(i), greedy.get(i).tokens());
            double b = translator.logProb(heldOut.get(i), beam.get(i).tokens());
            assertEquals(b, beam.get(i).logProb(), 1e-3, "beam search's own score disagrees with teacher forcing");
            assertTrue(b >= g - 1e-4, "sentence " + i + ": beam " + b + " < greedy " + g);
        }
    }

    @Test
    void batchedDecodingEqualsOneSentenceAtATime() {
        Seq2SeqTranslator translator = new Seq2SeqTranslator(net, TOKENS, TOKENS);
        List<int[]> some = heldOut.subList(0, 6);
        List<Seq2SeqTranslator.Translation> together = translator.translate(some,
                new Seq2SeqTranslator.Options(3, 0.6, 8, 6));
        List<Seq2SeqTranslator.Translation> alone = translator.translate(some,
                new Seq2SeqTranslator.Options(3, 0.6, 8, 1));
        for (int i = 0; i < some.size(); i++) {
            assertArrayEquals(alone.get(i).tokens(), together.get(i).tokens(), "sentence " + i);
        }
    }
}
