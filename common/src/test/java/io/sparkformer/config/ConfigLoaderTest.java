package io.sparkformer.config;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigLoaderTest {

    @Test
    void defaultsAreNanoGptsBabyGpt() {
        SparkformerConfig c = ConfigLoader.defaults(List.of());
        assertEquals(4, c.model().layers());
        assertEquals(512, c.model().ffnDim());
        assertEquals(2000, c.train().decaySteps());
        assertEquals(32, c.model().headDim());
    }

    @Test
    void fileValuesAndOverridesApplyInOrder() {
        SparkformerConfig c = ConfigLoader.load("model { layers = 2 }\ntrain.steps = 10\n", "test.conf",
                List.of("train.steps=20", "model.positions=sinusoidal", "train.steps=30"));
        assertEquals(2, c.model().layers());
        assertEquals(30, c.train().steps());
        assertEquals(ModelConfig.Positions.SINUSOIDAL, c.model().positions());
    }

    @Test
    void bertArchitectureKeysReachTheArchitectureAndRenderOnlyWhenSet() {
        SparkformerConfig c = ConfigLoader.defaults(List.of("model.family=bert", "tokenizer.type=bpe",
                "model.norm=post", "model.activation=gelu_erf", "model.typeVocabSize=2"));
        io.sparkformer.model.Architecture a = c.model().architecture();
        assertEquals(ModelConfig.Norm.POST, a.norm());
        assertEquals(ModelConfig.Activation.GELU_ERF, a.activation());
        assertEquals(2, a.typeVocabSize());
        String rendered = ConfigLoader.render(c);
        assertEquals(true, rendered.contains("  norm = post\n  activation = gelu_erf\n  typeVocabSize = 2\n}"));
        assertEquals(c, ConfigLoader.load(rendered, "rendered", List.of()));
        // Defaults render no such line, so run.json files written before these keys still match on resume.
        assertEquals(false, ConfigLoader.render(ConfigLoader.defaults(List.of())).contains("norm ="));
    }

    @Test
    void postNormOutsideTheBertFamilyIsRejected() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.defaults(List.of("model.norm=post")));
        assertEquals("model.norm = post is supported by the bert family only, not gpt", e.getMessage());
    }

    @Test
    void headDivisibilityIsCheckedOnceWithTheKeys() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.defaults(List.of("model.embedDim=100", "model.heads=3")));
        assertEquals("model.embedDim (100) is not divisible by model.heads (3)", e.getMessage());
    }

    @Test
    void unknownConfigKeyIsRejected() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load("model {\n  layer = 2\n}\n", "conf/x.conf", List.of()));
        assertEquals("unknown config key 'model.layer' (conf/x.conf: 2)", e.getMessage());
    }

    @Test
    void unknownOverrideKeyIsRejected() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.defaults(List.of("train.stepz=3")));
        assertEquals("unknown config key 'train.stepz' (--set train.stepz: 1)", e.getMessage());
    }

    @Test
    void wrongTypeNamesKeyAndFile() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load("train.steps = many\n", "conf/y.conf", List.of()));
        assertEquals("train.steps must be an integer, got \"many\" (conf/y.conf: 1)", e.getMessage());
        ConfigException f = assertThrows(ConfigException.class,
                () -> ConfigLoader.defaults(List.of("model.layers=2.5")));
        assertEquals("model.layers must be an integer, got 2.5 (--set model.layers: 1)", f.getMessage());
    }

    @Test
    void outOfRangeValuesAreRejectedWithTheirNames() {
        assertEquals("model.embedDim (100) is not divisible by model.heads (3)", assertThrows(ConfigException.class,
                () -> ConfigLoader.defaults(List.of("model.embedDim=100", "model.heads=3"))).getMessage());
        assertEquals("train.steps must be > 0, got -5", assertThrows(ConfigException.class,
                () -> ConfigLoader.defaults(List.of("train.steps=-5"))).getMessage());
        assertEquals("finetune.pooling must be one of [first, mean], got 'max'", assertThrows(ConfigException.class,
                () -> ConfigLoader.defaults(List.of("finetune.pooling=max"))).getMessage());
        assertEquals("model.positions must be one of [learned, sinusoidal], got 'rotary'",
                assertThrows(ConfigException.class,
                        () -> ConfigLoader.defaults(List.of("model.positions=rotary"))).getMessage());
    }

    @Test
    void renderedConfigLoadsBackToTheSameRecord() {
        SparkformerConfig c = ConfigLoader.defaults(List.of("model.layers=3", "train.seed=7", "tokenizer.type=bpe",
                "finetune.pooling=mean"));
        assertEquals(FinetuneConfig.Pooling.MEAN, c.finetune().pooling());
        String text = ConfigLoader.render(c);
        assertEquals(c, ConfigLoader.load(text, "config.conf", List.of()));
    }

    @Test
    void malformedOverrideIsRejected() {
        assertEquals("--set expects key=value, got 'model.layers'", assertThrows(ConfigException.class,
                () -> ConfigLoader.defaults(List.of("model.layers"))).getMessage());
    }
}
