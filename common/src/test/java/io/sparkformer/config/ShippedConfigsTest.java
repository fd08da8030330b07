package io.sparkformer.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every config shipped in conf/ loads, and the baby GPT is nanoGPT's. */
class ShippedConfigsTest {
    private static SparkformerConfig load(String name) throws Exception {
        Path file = Path.of("..", "conf", name);
        return ConfigLoader.load(Files.readString(file), "conf/" + name, List.of());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-tiny.conf", "gpt-baby.conf", "gpt-small.conf", "bert-tiny.conf", "bert-sst2.conf",
            "bert-sst2-finetune.conf", "gpt-demo.conf"})
    void shippedConfigLoads(String name) throws Exception {
        SparkformerConfig c = load(name);
        assertTrue(c.train().steps() > 0);
    }

    @org.junit.jupiter.api.Test
    void babyGptIsNanoGptsCpuBabyGptWithItsTokenBudget() throws Exception {
        SparkformerConfig c = load("gpt-baby.conf");
        assertEquals(List.of(4, 4, 128, 64), List.of(c.model().layers(), c.model().heads(), c.model().embedDim(),
                c.model().contextLength()));
        assertEquals(0.0, c.model().dropout());
        assertEquals(1_536_000L, c.tokensPerStep() * c.train().steps());
        // nanoGPT's recipe except the learning rate: 2e-3 -> 2e-4 for the 2000-step budget (its 1e-3 ->
        // 1e-4 is for 5000 iterations; measured in README "Performance").
        assertEquals(List.of(2e-3, 2e-4, 0.1, 0.9, 0.99, 1.0), List.of(c.train().learningRate(),
                c.train().minLearningRate(), c.train().weightDecay(), c.train().beta1(), c.train().beta2(),
                c.train().gradClip()));
        assertEquals(100, c.train().warmupSteps());
        SparkformerConfig two = ConfigLoader.load(Files.readString(Path.of("..", "conf", "gpt-baby.conf")),
                "conf/gpt-baby.conf", List.of("spark.workers=2", "train.batchSize=6"));
        assertEquals(c.tokensPerStep(), two.tokensPerStep(), "the documented 2-worker split keeps the budget");
    }
}
