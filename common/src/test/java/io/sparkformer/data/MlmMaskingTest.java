package io.sparkformer.data;

import io.sparkformer.model.Architecture;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.model.bert.BertSpec;
import io.sparkformer.model.layer.WholeModelGraph;
import io.sparkformer.tokenize.BertTokens;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** BERT's 80/10/10 masking rule, its determinism, and that only selected positions carry loss. */
class MlmMaskingTest {
    private static final int REGULAR = 1000;
    private static final BertTokens TOKENS = new BertTokens(1000, 1001, 1002, 1003, REGULAR);
    private static final int LENGTH = 64;

    private static int[] framedSequence(Random r) {
        int[] text = new int[BertTokens.textLength(LENGTH)];
        for (int i = 0; i < text.length; i++) {
            text[i] = r.nextInt(REGULAR);
        }
        return TOKENS.frame(text, LENGTH);
    }

    /** |observed - expected| within 5 standard deviations of a binomial share over n trials. */
    private static void assertShare(String what, double expected, long hits, long n) {
        double observed = (double) hits / n;
        double sd = Math.sqrt(expected * (1 - expected) / n);
        assertTrue(Math.abs(observed - expected) <= 5 * sd,
                what + ": observed " + observed + ", expected " + expected + " +- " + 5 * sd);
    }

    @Test
    void selectedTokensFollowTheEightyTenTenRuleOnALargeSample() {
        MlmMasking masking = new MlmMasking(0.15, 1337, TOKENS);
        Random r = new Random(7);
        long eligible = 0;
        long selected = 0;
        long masked = 0;
        long replaced = 0;
        long kept = 0;
        long[] perPosition = new long[LENGTH];
        int sequences = 20_000;
        for (int s = 0; s < sequences; s++) {
            int[] ids = framedSequence(r);
            MlmMasking.Masked m = masking.apply(ids, s);
            assertArrayEquals(ids, m.labels(), "labels are the original ids");
            eligible += ids.length - 2;
            for (int i = 0; i < ids.length; i++) {
                if (m.weights()[i] == 0f) {
                    assertEquals(ids[i], m.input()[i], "an unselected position is never changed");
                    continue;
                }
                assertTrue(i > 0 && i < ids.length - 1, "[CLS] and [SEP] are never selected");
                selected++;
                perPosition[i]++;
                if (m.input()[i] == TOKENS.mask()) {
                    masked++;
                } else if (m.input()[i] != ids[i]) {
                    assertTrue(m.input()[i] < REGULAR, "random replacements are text tokens");
                    replaced++;
                } else {
                    kept++;
                }
            }
        }
        // floor(p n + u) has mean exactly p n; its spread is below that of a binomial count.
        assertShare("selected", 0.15, selected, eligible);
        // A random replacement equal to the original counts as kept: expected 0.1 (1 - 1/R) and 0.1 (1 + 1/R).
        assertShare("[MASK]", 0.8, masked, selected);
        assertShare("random", 0.1 * (1 - 1.0 / REGULAR), replaced, selected);
        assertShare("kept", 0.1 + 0.1 / REGULAR, kept, selected);
        for (int i = 1; i < LENGTH - 1; i++) {
            assertShare("selection of position " + i, 0.15, perPosition[i], sequences);
        }
    }

    @Test
    void maskingIsAPureFunctionOfSeedAndSequenceIndex() {
        int[] ids = framedSequence(new Random(3));
        MlmMasking a = new MlmMasking(0.15, 42, TOKENS);
        MlmMasking b = new MlmMasking(0.15, 42, TOKENS);
        assertArrayEquals(a.apply(ids, 17).input(), b.apply(ids, 17).input());
        assertArrayEquals(a.apply(ids, 17).weights(), b.apply(ids, 17).weights());
        assertFalse(Arrays.equals(a.apply(ids, 17).weights(), a.apply(ids, 18).weights()), "another sequence index");
        assertFalse(Arrays.equals(a.apply(ids, 17).weights(), new MlmMasking(0.15, 43, TOKENS).apply(ids, 17).weights()),
                "another seed");
    }

    @Test
    void specialTokensAndPaddingAreNeverSelected() {
        int[] ids = {TOKENS.cls(), 5, TOKENS.pad(), 6, TOKENS.mask(), 7, TOKENS.sep(), TOKENS.pad()};
        MlmMasking masking = new MlmMasking(0.9, 1, TOKENS);
        for (int s = 0; s < 200; s++) {
            float[] w = masking.apply(ids, s).weights();
            for (int i = 0; i < ids.length; i++) {
                if (TOKENS.isSpecial(ids[i])) {
                    assertEquals(0f, w[i], "special token at " + i + " selected");
                }
            }
        }
    }

    @Test
    void unselectedPositionsCarryNoLoss() {
        int vocab = 12;
        BertTokens tokens = new BertTokens(8, 9, 10, 11, 8);
        int[] stream = new Random(5).ints(200, 0, 8).toArray();
        MlmBatches batches = new MlmBatches(new ArrayTokenSource(stream), new MlmMasking(0.15, 9, tokens), tokens, 10);
        DataSet batch = batches.of(new long[] {0, 37, 120}, 0);
        INDArray selected = batch.getLabelsMaskArray();
        assertTrue(selected.sumNumber().doubleValue() > 0, "something to predict");
        ComputationGraph net = BertGraphBuilder.maskedLm(new BertSpec(vocab, 10, Architecture.preNorm(16, 2, 1, 32, false, false, 1e-5, 0.0)),
                new WholeModelGraph.Optimizer(new NoOp(), List.of(), 0), 3, DataType.FLOAT);
        net.params().muli(5);
        double score = net.score(batch, false);
        net.computeGradientAndScore();

        // Other labels where nothing is selected: the same loss and the same gradient.
        INDArray relabeled = batch.getLabels().dup();
        INDArray otherSelected = null;
        for (int r = 0; r < 3; r++) {
            for (int i = 0; i < 10; i++) {
                if (selected.getDouble(r, i) == 0) {
                    relabeled.putScalar(r, i, (relabeled.getDouble(r, i) + 3) % 8);
                } else if (otherSelected == null) {
                    otherSelected = batch.getLabels().dup();
                    otherSelected.putScalar(r, i, (otherSelected.getDouble(r, i) + 3) % 8);
                }
            }
        }
        DataSet other = new DataSet(batch.getFeatures(), relabeled, null, selected);
        assertEquals(score, net.score(other, false), 1e-9);
        net.setInputs(batch.getFeatures());
        net.setLabels(batch.getLabels());
        net.setLayerMaskArrays(null, new INDArray[] {selected});
        net.computeGradientAndScore();
        INDArray gradient = net.gradient().gradient().dup();
        net.setLabels(relabeled);
        net.computeGradientAndScore();
        assertEquals(gradient, net.gradient().gradient());
        // A changed label at a selected position does change the loss.
        assertNotEquals(score, net.score(new DataSet(batch.getFeatures(), otherSelected, null, selected), false), 1e-6);
    }
}
