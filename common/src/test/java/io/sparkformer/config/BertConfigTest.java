package io.sparkformer.config;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The bert and finetune sections, and what the BERT family asks of the rest of the config. */
class BertConfigTest {

    @Test
    void bertNeedsTheBpeTokenizerForItsSpecialTokens() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.defaults(List.of("model.family=bert")));
        assertEquals("model.family = bert needs tokenizer.type = bpe (its [CLS], [SEP], [MASK] and [PAD] are special"
                + " tokens of the BPE tokenizer) or an imported model's wordpiece", e.getMessage());
        assertEquals(ModelConfig.ModelFamily.BERT,
                ConfigLoader.defaults(List.of("model.family=bert", "tokenizer.type=bpe")).model().family());
        assertEquals(TokenizerConfig.Type.WORDPIECE,
                ConfigLoader.defaults(List.of("model.family=bert", "tokenizer.type=wordpiece")).tokenizer().type());
    }

    @Test
    void defaultsAreBertsMaskingAndSst2sColumns() {
        SparkformerConfig c = ConfigLoader.defaults(List.of());
        assertEquals(0.15, c.bert().maskProbability());
        assertEquals(FinetuneConfig.Format.TSV, c.finetune().format());
        assertEquals(List.of("sentence", "label"), List.of(c.finetune().textColumn(), c.finetune().labelColumn()));
        assertEquals(List.of(), c.finetune().labels());
        assertEquals(3, c.finetune().patience());
    }

    @Test
    void labelListsComeFromFilesAndFromSetAndRenderBack() {
        SparkformerConfig fromFile = ConfigLoader.load("finetune.labels = [neg, \"very good\"]\n", "f.conf", List.of());
        assertEquals(List.of("neg", "very good"), fromFile.finetune().labels());
        SparkformerConfig fromSet = ConfigLoader.defaults(List.of("finetune.labels=[0,1]",
                "finetune.textColumn=review text"));
        assertEquals(List.of("0", "1"), fromSet.finetune().labels());
        assertEquals(fromFile, ConfigLoader.load(ConfigLoader.render(fromFile), "config.conf", List.of()));
        assertEquals(fromSet, ConfigLoader.load(ConfigLoader.render(fromSet), "config.conf", List.of()));
    }

    @Test
    void invalidValuesAreRejectedWithTheirNames() {
        assertEquals("bert.maskProbability must be within (0, 1), got 1.5", assertThrows(ConfigException.class,
                () -> ConfigLoader.defaults(List.of("bert.maskProbability=1.5"))).getMessage());
        assertEquals("finetune.patience must be > 0, got 0", assertThrows(ConfigException.class,
                () -> ConfigLoader.defaults(List.of("finetune.patience=0"))).getMessage());
        assertEquals("finetune.labels has a repeated label: [a, a]", assertThrows(ConfigException.class,
                () -> ConfigLoader.defaults(List.of("finetune.labels=[a,a]"))).getMessage());
        assertEquals("model.tiedEmbeddings = false is not available for bert: its masked-LM decoder is always the"
                + " token embedding", assertThrows(ConfigException.class, () -> ConfigLoader.defaults(List.of(
                "model.family=bert", "tokenizer.type=bpe", "model.tiedEmbeddings=false"))).getMessage());
    }
}
