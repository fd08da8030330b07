package io.sparkformer.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The seq2seq section of the config: shipped files, invariants, rendering. */
class Seq2SeqConfigTest {

    @ParameterizedTest
    @ValueSource(strings = {"seq2seq-tiny.conf", "seq2seq-multi30k.conf"})
    void shippedSeq2seqConfigLoads(String name) throws Exception {
        SparkformerConfig c = ConfigLoader.load(Files.readString(Path.of("..", "conf", name)), "conf/" + name,
                List.of());
        assertEquals(ModelConfig.ModelFamily.SEQ2SEQ, c.model().family());
        assertEquals(TokenizerConfig.Type.BPE, c.tokenizer().type());
    }

    @Test
    void sharedEmbeddingsNeedASharedVocabulary() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.defaults(List.of(
                "model.family=seq2seq", "tokenizer.type=bpe", "seq2seq.sharedVocabulary=false")));
        assertEquals("seq2seq.sharedEmbeddings = true needs seq2seq.sharedVocabulary = true (one table cannot serve"
                + " two vocabularies)", e.getMessage());
    }

    @Test
    void seq2seqNeedsTheBpeTokenizer() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.defaults(List.of("model.family=seq2seq")));
        assertEquals("model.family = seq2seq needs tokenizer.type = bpe (its [PAD], <s> and </s> are special tokens"
                + " of the BPE tokenizer)", e.getMessage());
    }

    @Test
    void labelSmoothingIsRangeChecked() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.defaults(List.of("seq2seq.labelSmoothing=0.7")));
        assertEquals("seq2seq.labelSmoothing must be within [0.0, 0.5], got 0.7", e.getMessage());
    }

    @Test
    void renderedConfigLoadsBackTheSame() {
        SparkformerConfig c = ConfigLoader.defaults(List.of("model.family=seq2seq", "tokenizer.type=bpe",
                "seq2seq.sharedVocabulary=false", "seq2seq.sharedEmbeddings=false", "seq2seq.labelSmoothing=0.2",
                "seq2seq.evalSentences=50"));
        assertEquals(c, ConfigLoader.load(ConfigLoader.render(c), "rendered", List.of()));
    }
}
