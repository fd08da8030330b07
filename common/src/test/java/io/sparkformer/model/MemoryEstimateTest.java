package io.sparkformer.model;

import io.sparkformer.config.ConfigLoader;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MemoryEstimateTest {
    private static MemoryEstimate gpt(int layers, int heads, int embedDim, int contextLength, int vocab, int batch) {
        return MemoryEstimate.of(ConfigLoader.defaults(List.of("model.layers=" + layers, "model.heads=" + heads,
                "model.embedDim=" + embedDim, "model.contextLength=" + contextLength, "train.batchSize=" + batch)), vocab);
    }

    @Test
    void gpt2SmallHasItsPublishedParameterCount() {
        MemoryEstimate e = gpt(12, 12, 768, 1024, 50257, 1);
        assertEquals(124_439_808L, e.params());
        assertEquals(4 * 124_439_808L * 4, e.stateBytes(), "params, gradients, Adam m and v in float32");
    }

    @Test
    void tinyGptMatchesAHandCount() {
        // gpt-tiny: 2 layers, 2 heads, C 32, T 32, 65 characters, batch 8.
        MemoryEstimate e = gpt(2, 2, 32, 32, 65, 8);
        long block = 2 * 32 + (32 * 96 + 96) + (32 * 32 + 32) + 2 * 32 + (32 * 128 + 128) + (128 * 32 + 32);
        assertEquals(65 * 32 + 32 * 32 + 2 * block + 2 * 32, e.params());
        assertEquals(2L * 8 * 32 * (8 * 32 + 2 * 128 + 2 * 2 * 32) * 4, e.activationBytes());
        assertEquals(2L * 8 * 32 * 65 * 4, e.logitBytes());
        assertEquals(e.stateBytes() + e.activationBytes() + e.logitBytes() + MemoryEstimate.RUNTIME_BYTES,
                e.trainingBytes());
    }

    @Test
    void activationsFollowTheUsualFormulaWhenTheFfnIsFourTimesWider() {
        int layers = 6, heads = 6, c = 384, t = 256, batch = 12;
        MemoryEstimate e = gpt(layers, heads, c, t, 65, batch);
        assertEquals((long) layers * batch * t * (16L * c + 2L * heads * t) * 4, e.activationBytes());
    }

    @Test
    void activationsAndLogitsGrowLinearlyWithTheBatch() {
        MemoryEstimate one = gpt(4, 4, 128, 64, 512, 1);
        MemoryEstimate ten = gpt(4, 4, 128, 64, 512, 10);
        assertEquals(10 * one.activationBytes(), ten.activationBytes());
        assertEquals(10 * one.logitBytes(), ten.logitBytes());
        assertEquals(one.stateBytes(), ten.stateBytes());
    }

    @Test
    void replicasInOneJvmShareTheRuntime() {
        MemoryEstimate e = gpt(2, 2, 32, 32, 65, 8);
        assertEquals(2 * (e.trainingBytes() - MemoryEstimate.RUNTIME_BYTES) + MemoryEstimate.RUNTIME_BYTES,
                e.trainingBytes(2));
    }

    @Test
    void sizesPrintAsAUserReadsThem() {
        assertEquals("384 MiB", MemoryEstimate.human(384L << 20));
        assertEquals("1.5 GiB", MemoryEstimate.human(3L << 29));
        assertEquals("12 GiB", MemoryEstimate.human(12L << 30));
        assertEquals("1 MiB", MemoryEstimate.human(10));
    }
}
