package io.sparkformer.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.model.bert.BertLayer;
import io.sparkformer.model.bert.BertSpec;
import io.sparkformer.model.layer.TransformerStack;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.BpeTokenizer;
import io.sparkformer.tokenize.BpeTrainer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Embeddings of a small random-initialised BERT classifier checkpoint, checked against the encoder's
 * hidden states computed here one text at a time with no padding (the naive reference): padding
 * in a batch changes nothing, mean pooling averages the text's positions, CLS takes the first.
 */
class SentenceEmbedderTest {
    private static final List<String> TEXTS = List.of("a b", "the film was brilliant and lovely",
            "dull, boring and stale: the plot was a mess");
    private static BpeTokenizer tokenizer;
    private static Checkpoint checkpoint;

    @BeforeAll
    static void build() {
        tokenizer = BpeTrainer.train(Map.of("the", 5L, " film", 3L, " was", 3L, " plot", 2L), 270, BertTokens.SPECIALS);
        SparkformerConfig config = ConfigLoader.defaults(List.of("model.family=bert", "tokenizer.type=bpe",
                "tokenizer.vocabSize=" + tokenizer.vocabSize(), "model.layers=2", "model.heads=2", "model.embedDim=16",
                "model.ffnDim=32", "model.contextLength=12", "finetune.labels=[neg, pos]", "train.seed=3"));
        checkpoint = Checkpoint.of(TrainingState.initial(3), config, tokenizer,
                BertGraphBuilder.classifier(config, tokenizer.vocabSize(), 2, DataType.FLOAT));
    }

    @Test
    void anEmbeddingDoesNotDependOnItsBatch() {
        SentenceEmbedder embedder = SentenceEmbedder.of(checkpoint, "test");
        for (SentenceEmbedder.Pooling pooling : SentenceEmbedder.Pooling.values()) {
            float[][] together = embedder.embed(TEXTS, pooling);
            for (int i = 0; i < TEXTS.size(); i++) {
                float[] alone = embedder.embed(List.of(TEXTS.get(i)), pooling)[0];
                assertEquals(16, alone.length);
                assertArrayEquals(alone, together[i], 1e-5f, pooling + " " + TEXTS.get(i));
            }
        }
    }

    @Test
    void meanAveragesTheTextsPositionsAndClsTakesTheFirst() {
        SentenceEmbedder embedder = SentenceEmbedder.of(checkpoint, "test");
        // Reference: the tokens of "a b" are [CLS] a b [SEP] (4 positions); the mean of 4 CLS-like
        // vectors is not the CLS vector, and both come from the same hidden states.
        float[] mean = embedder.embed(List.of(TEXTS.get(0)), SentenceEmbedder.Pooling.MEAN)[0];
        float[] cls = embedder.embed(List.of(TEXTS.get(0)), SentenceEmbedder.Pooling.CLS)[0];
        assertFalse(Arrays.equals(mean, cls));
        float[][] states = hiddenStates(BertTokens.of(tokenizer).frame(tokenizer.encode(TEXTS.get(0)), 12));
        float[] expectedMean = new float[16];
        for (float[] row : states) {
            for (int c = 0; c < 16; c++) {
                expectedMean[c] += row[c] / states.length;
            }
        }
        assertArrayEquals(expectedMean, mean, 1e-5f);
        assertArrayEquals(states[0], cls, 1e-6f);
    }

    @Test
    void aLongTextIsCutToTheContext() {
        SentenceEmbedder embedder = SentenceEmbedder.of(checkpoint, "test");
        String longText = "the film was ".repeat(20);
        String cut = "the film was ".repeat(4);   // same first 10 word pieces, as the context keeps
        int[] a = BertTokens.of(tokenizer).frame(tokenizer.encode(longText), 12);
        int[] b = BertTokens.of(tokenizer).frame(tokenizer.encode(cut), 12);
        assertArrayEquals(a, b, "test premise: both frame to the same 12 ids");
        assertArrayEquals(embedder.embed(List.of(cut), SentenceEmbedder.Pooling.MEAN)[0],
                embedder.embed(List.of(longText), SentenceEmbedder.Pooling.MEAN)[0], 1e-6f);
    }

    @Test
    void aGptCheckpointIsRefusedNamingIt() {
        SparkformerConfig gpt = ConfigLoader.defaults(List.of("tokenizer.type=bpe", "tokenizer.vocabSize=270",
                "model.layers=1", "model.heads=2", "model.embedDim=8", "model.contextLength=8"));
        Checkpoint c = Checkpoint.of(TrainingState.initial(1), gpt, tokenizer,
                GptGraphBuilder.build(gpt, tokenizer.vocabSize(), DataType.FLOAT));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SentenceEmbedder.of(c, "run/x"));
        assertEquals(true, e.getMessage().contains("run/x"), e.getMessage());
    }

    /** The encoder's last hidden states [T][C] for one sequence, unpadded and unmasked. */
    private static float[][] hiddenStates(int[] ids) {
        BertSpec spec = BertGraphBuilder.layer(checkpoint.model(), BertLayer.class, "test").spec();
        TransformerStack stack = spec.encoder();
        INDArray out = stack.forward(checkpoint.model().getLayer(BertGraphBuilder.LAYER).paramTable(), ids, 1, null,
                false).out;                                                          // [T, C]
        return out.toFloatMatrix();
    }
}
