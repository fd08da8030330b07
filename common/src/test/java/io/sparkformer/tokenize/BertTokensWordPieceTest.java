package io.sparkformer.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.ClassLabels;
import io.sparkformer.data.LabeledExamples;
import io.sparkformer.data.LabeledTable;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.testing.MiniLm;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A BERT whose tokenizer is a pretrained model's WordPiece (all-MiniLM-L6-v2's tokenizer.json): the
 * special ids come from the file, framing equals Hugging Face's single-sentence template, and a
 * checkpoint holding the original tokenizer.json reloads the same ids.
 */
class BertTokensWordPieceTest {
    private static final List<String> SENTENCES = List.of("The quick brown fox jumps over the lazy dog.",
            "Café déjà vu: naïve façades!", "北京欢迎你", "antidisestablishmentarianism", "a [MASK] here", "☃ ✈ 🙂");

    private static WordPieceTokenizer miniLm() {
        return assertInstanceOf(WordPieceTokenizer.class, Tokenizer.fromJson(MiniLm.tokenizerJson()));
    }

    @Test
    void specialIdsAreTheVocabularysOwn() {
        BertTokens t = BertTokens.of(miniLm());
        // bert-base-uncased's vocabulary: [PAD] 0, [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103.
        assertEquals(new BertTokens(0, 101, 102, 103, 100, 30522), t);
        for (int id : new int[] {0, 100, 101, 102, 103}) {
            assertTrue(t.isSpecial(id), "id " + id);
        }
        assertFalse(t.isSpecial(1996), "'the' is text");
        assertFalse(t.isSpecial(30521), "the last word piece is text");
    }

    @Test
    void framingEqualsTheTokenizersSingleTemplate() {
        WordPieceTokenizer tokenizer = miniLm();
        BertTokens t = BertTokens.of(tokenizer);
        for (String s : SENTENCES) {
            assertArrayEquals(tokenizer.encodeSentence(s).ids(), t.frame(tokenizer.encode(s), 512), s);
        }
        // Cut to the context like the BPE: [CLS] + 3 pieces + [SEP].
        int[] ids = tokenizer.encode(SENTENCES.get(0));
        assertArrayEquals(new int[] {101, ids[0], ids[1], ids[2], 102}, t.frame(ids, 5));
    }

    @Test
    void bpeKeepsItsSpecialsAfterTheLearnedTokensAndHasNoUnk() {
        BpeTokenizer bpe = BpeTrainer.train(java.util.Map.of("low", 3L, " lower", 2L, " newer", 1L), 262, BertTokens.SPECIALS);
        BertTokens t = BertTokens.of(bpe);
        assertEquals(BertTokens.NO_UNK, t.unk());
        assertEquals(bpe.vocabSize() - 4, t.regularTokens());
        assertTrue(t.isSpecial(t.pad()) && t.isSpecial(t.mask()));
        assertFalse(t.isSpecial(0));
    }

    @Test
    void aWordPieceWithoutMaskIsRefusedNamingIt() {
        String json = MiniLm.tokenizerJson();
        // Remove [MASK] from the added (special) tokens: it stays in the vocabulary as a plain word.
        String noMask = json.replaceFirst("\\{[^{}]*\"content\"\\s*:\\s*\"\\[MASK\\]\"[^{}]*\\},?", "")
                .replaceAll(",(\\s*)\\]", "$1]");
        Tokenizer tokenizer = Tokenizer.fromJson(noMask);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BertTokens.of(tokenizer));
        assertTrue(e.getMessage().startsWith("a BERT's wordpiece tokenizer needs the special token [MASK]"),
                e.getMessage());
    }

    @Test
    void aBertCheckpointKeepsTheOriginalTokenizerJsonAndReloadsTheSameIds(@TempDir Path dir) {
        String original = MiniLm.tokenizerJson();
        WordPieceTokenizer tokenizer = miniLm();
        SparkformerConfig config = ConfigLoader.defaults(List.of("model.family=bert", "tokenizer.type=wordpiece",
                "tokenizer.vocabSize=" + tokenizer.vocabSize(), "model.layers=1", "model.heads=2",
                "model.embedDim=8", "model.ffnDim=16", "model.contextLength=16", "finetune.labels=[neg, pos]"));
        var graph = BertGraphBuilder.classifier(config, tokenizer.vocabSize(), 2, DataType.FLOAT);
        CheckpointStore store = new CheckpointStore(dir.toString(), new Configuration(), 2);
        store.save(Checkpoint.of(TrainingState.initial(1), ConfigLoader.render(config), original, graph));

        Checkpoint loaded = store.loadLatest().orElseThrow();
        assertEquals(original, loaded.tokenizerJson());
        WordPieceTokenizer back = assertInstanceOf(WordPieceTokenizer.class, loaded.tokenizer());
        for (String s : SENTENCES) {
            assertArrayEquals(tokenizer.encodeSentence(s).ids(), back.encodeSentence(s).ids(), s);
        }
        // What classify/evaluate do with it: [CLS] text [SEP], padded with [PAD] 0 later.
        ClassLabels labels = new ClassLabels(List.of("neg", "pos"));
        LabeledExamples examples = LabeledExamples.encode(List.of(new LabeledTable.Row(1, SENTENCES.get(1), "pos")),
                "test", back, BertTokens.of(back), labels, 16, 2);
        assertArrayEquals(tokenizer.encodeSentence(SENTENCES.get(1)).ids(), examples.tokens()[0]);
    }
}
