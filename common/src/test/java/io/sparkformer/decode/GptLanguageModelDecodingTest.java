package io.sparkformer.decode;

import io.sparkformer.model.Architecture;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.model.gpt.GptSpec;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** {@link GptLanguageModel} against the graph it wraps: a tiny GPT with an 8-token context. */
class GptLanguageModelDecodingTest {
    private static final int VOCAB = 11;
    private static final int CONTEXT = 8;
    private static ComputationGraph graph;
    private static GptLanguageModel lm;

    @BeforeAll
    static void tinyGpt() {
        GptSpec spec = new GptSpec(VOCAB, CONTEXT, Architecture.preNorm(16, 4, 2, 32, false, false, 1e-5, 0.0), true);
        graph = GptGraphBuilder.build(spec, new NoOp(), List.of(), 0, 5, DataType.FLOAT);
        graph.params().muli(5);   // sharper than at init, so that contexts visibly matter
        lm = new GptLanguageModel(graph);
    }

    /** The reference: the graph run directly on exactly these ids, logits at the last position. */
    private static double[] direct(int... ids) {
        float[][] row = {new float[ids.length]};
        for (int t = 0; t < ids.length; t++) {
            row[0][t] = ids[t];
        }
        INDArray logits = graph.outputSingle(Nd4j.createFromArray(row));                        // [1, T, V]
        return logits.get(NDArrayIndex.point(0), NDArrayIndex.point(ids.length - 1), NDArrayIndex.all())
                .castTo(DataType.DOUBLE).toDoubleVector();
    }

    @Test
    void readsContextLengthAndVocabularyFromTheGraph() {
        assertEquals(CONTEXT, lm.contextLength());
        assertEquals(VOCAB, lm.vocabSize());
    }

    @Test
    void logitsAreTheGraphsLastPosition() {
        assertArrayEquals(direct(3, 1, 4, 1, 5), lm.nextTokenLogits(new int[] {3, 1, 4, 1, 5}), 1e-6);
    }

    @Test
    void contextsLongerThanTheContextLengthAreCroppedToTheirLastTokens() {
        int[] longContext = {9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3};                            // 13 > 8
        int[] lastEight = Arrays.copyOfRange(longContext, longContext.length - CONTEXT, longContext.length);
        double[] cropped = lm.nextTokenLogits(longContext);
        assertArrayEquals(direct(lastEight), cropped, 1e-6);
        // The dropped prefix would have mattered: the full window ending one token earlier differs.
        assertFalse(Arrays.equals(cropped, lm.nextTokenLogits(Arrays.copyOf(longContext, 12))));
    }

    @Test
    void aBatchOfContextsGivesTheSameLogitsAsSingleCalls() {
        int[][] contexts = {
                {1, 2, 3, 4, 5},
                {6, 7, 8, 9, 10},                       // same length as the first: one forward pass
                {4, 4},                                 // shorter
                {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0}};    // cropped to 8
        double[][] batched = lm.nextTokenLogits(contexts);
        assertEquals(contexts.length, batched.length);
        for (int i = 0; i < contexts.length; i++) {
            assertArrayEquals(lm.nextTokenLogits(contexts[i]), batched[i], 1e-5, "context " + i);
        }
        assertFalse(Arrays.equals(batched[0], batched[1]));
    }

    @Test
    void greedyGenerationSlidesTheWindowAndMatchesBeamOfOne() {
        int[] prompt = {1, 2, 3};
        int[] greedy = new Generator().generate(lm, prompt, SamplingConfig.greedy(12));   // 15 tokens > 8
        int[] context = prompt;
        for (int token : greedy) {
            int[] window = Arrays.copyOfRange(context, Math.max(0, context.length - CONTEXT), context.length);
            double[] logits = direct(window);
            assertEquals(Sampler.greedy().sample(logits), token);
            context = Arrays.copyOf(context, context.length + 1);
            context[context.length - 1] = token;
        }
        assertArrayEquals(greedy, BeamSearch.search(lm, prompt, 1, 12, 0.0, -1).get(0).tokens());
    }
}
