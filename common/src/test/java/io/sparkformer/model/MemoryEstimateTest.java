package io.sparkformer.model;

import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.model.MemoryEstimate.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryEstimateTest {
    private static final double MIB = 1 << 20;

    private static SparkformerConfig config(String... overrides) {
        return ConfigLoader.defaults(List.of(overrides));
    }

    private static MemoryEstimate gpt(int layers, int heads, int embedDim, int contextLength, int vocab, int batch) {
        return MemoryEstimate.of(config("model.layers=" + layers, "model.heads=" + heads, "model.embedDim=" + embedDim,
                "model.contextLength=" + contextLength, "train.batchSize=" + batch), vocab);
    }

    private static SparkformerConfig shipped(String name, String... overrides) throws Exception {
        return ConfigLoader.load(Files.readString(Path.of("..", "conf", name)), "conf/" + name, List.of(overrides));
    }

    /**
     * The estimate against the peak measured on 2026-12-03 with bench/memory-estimate.sh (one replica,
     * random full-length batches: libnd4j's held bytes through a step plus the reserved workspaces),
     * for every shipped config. Within ±25%, the bar; a change to the model's allocations
     * moves the measurement (rerun the bench and update the figure), a change to the estimate or to
     * the parameter count moves the estimate.
     */
    @ParameterizedTest(name = "{0} ({1})")
    @CsvSource({
            "gpt-tiny.conf,           train,    65, '',                                    28576, 3.6",
            "gpt-baby.conf,           train,    65, '',                                   809856, 69.9",
            "bert-tiny.conf,          train,   320, '',                                    38176, 3.8",
            "bert-sst2.conf,          train,  4096, '',                                   950144, 90.6",
            "bert-sst2-finetune.conf, finetune, 4096, '',                                 946050, 139.7",
            "seq2seq-tiny.conf,       train,   300, '',                                    40448, 3.3",
            "seq2seq-multi30k.conf,   train,  6000, '',                                  4205568, 1336.4",
            "gpt-small.conf,          train, 32768, model.contextLength=256,              110418432, 4253.7",
    })
    void theEstimateIsWithinAQuarterOfTheMeasuredPeak(String name, String task, int vocab, String override,
                                                      long params, double measuredMiB) throws Exception {
        SparkformerConfig c = override.isEmpty() ? shipped(name) : shipped(name, override);
        if (task.equals("finetune")) {
            // bench: --architecture conf/bert-sst2.conf, as finetune takes the checkpoint's architecture.
            SparkformerConfig pretrained = shipped("bert-sst2.conf");
            c = c.withArchitecture(pretrained.model().withDropout(c.model().dropout()), pretrained.tokenizer());
        }
        MemoryEstimate e = MemoryEstimate.of(c, task.equals("finetune") ? Task.BERT_CLASSIFIER : Task.of(c.model()),
                vocab);
        assertEquals(params, e.params(), "the parameter count the bench printed");
        double ratio = e.replicaBytes() / MIB / measuredMiB;
        assertTrue(ratio >= 0.75 && ratio <= 1.25, name + ": estimate " + e.replicaBytes() / MIB
                + " MiB vs measured " + measuredMiB + " MiB (ratio " + ratio + ")");
    }

    @Test
    void theFamilyOfTheConfigPicksTheEstimate() throws Exception {
        assertEquals(Task.GPT, MemoryEstimate.of(shipped("gpt-baby.conf"), 65).task());
        assertEquals(Task.BERT_MLM, MemoryEstimate.of(shipped("bert-sst2.conf"), 4096).task());
        assertEquals(Task.SEQ2SEQ, MemoryEstimate.of(shipped("seq2seq-multi30k.conf"), 6000).task());
    }

    @Test
    void gpt2SmallHasItsPublishedParameterCount() {
        MemoryEstimate e = gpt(12, 12, 768, 1024, 50257, 1);
        assertEquals(124_439_808L, e.params());
        assertEquals(4 * 124_439_808L * 4, e.stateBytes(), "params, gradients, Adam m and v in float32");
    }

    @Test
    void tinyGptMatchesAHandCount() {
        // gpt-tiny: 2 layers, 2 heads, C 32, T 32, 65 characters, batch 8; F = 4C, no dropout.
        MemoryEstimate e = gpt(2, 2, 32, 32, 65, 8);
        long block = 2 * 32 + (32 * 96 + 96) + (32 * 32 + 32) + 2 * 32 + (32 * 128 + 128) + (128 * 32 + 32);
        assertEquals(65 * 32 + 32 * 32 + 2 * block + 2 * 32, e.params());
        double forward = 14.3 * 32 + 3.05 * 128 + 1.0 * 2 * 32;
        double backward = 13.2 * 32 + 2.2 * 128 + 1.1 * 2 * 32;
        double perToken = 2 * forward + backward + (6.5 + 1.1 * 2) * 32;
        assertEquals(((long) (8 * 32 * perToken) + 65 * 32) * 4, e.activationBytes());
        assertEquals((long) (4.2 * 8 * 32 * 65) * 4, e.logitBytes());
        assertEquals(e.stateBytes() + e.activationBytes() + e.logitBytes() + MemoryEstimate.RUNTIME_BYTES,
                e.trainingBytes());
    }

    @Test
    void dropoutCostsItsMasksAndAnEncoderDecoderMoreThanTwoEncoders() {
        SparkformerConfig plain = config("model.layers=2", "model.embedDim=128", "tokenizer.type=bpe");
        SparkformerConfig dropped = config("model.layers=2", "model.embedDim=128", "tokenizer.type=bpe",
                "model.dropout=0.1");
        assertTrue(MemoryEstimate.of(dropped, 512).activationBytes() > MemoryEstimate.of(plain, 512).activationBytes());
        MemoryEstimate encoder = MemoryEstimate.of(plain, Task.BERT_CLASSIFIER, 512);
        MemoryEstimate seq2seq = MemoryEstimate.of(plain, Task.SEQ2SEQ, 512);
        assertTrue(seq2seq.activationBytes() > 2 * encoder.activationBytes(), seq2seq + " vs " + encoder);
    }

    @Test
    void onlyScoredRowsCostLogits() {
        SparkformerConfig c = config("model.family=bert", "tokenizer.type=bpe", "bert.maskProbability=0.15");
        MemoryEstimate mlm = MemoryEstimate.of(c, Task.BERT_MLM, 4096);
        MemoryEstimate gpt = MemoryEstimate.of(c, Task.GPT, 4096);
        assertEquals(0.15, mlm.logitBytes() / (double) gpt.logitBytes(), 1e-3, "the masked-LM head scores 15% of rows");
        assertEquals(0, MemoryEstimate.of(c, Task.BERT_CLASSIFIER, 4096).logitBytes());
    }

    @Test
    void activationsAndLogitsGrowLinearlyWithTheBatch() {
        MemoryEstimate one = gpt(4, 4, 128, 64, 512, 1);
        MemoryEstimate ten = gpt(4, 4, 128, 64, 512, 10);
        long embeddingGradient = 512L * 128 * 4;   // one temporary [V, C], whatever the batch
        assertEquals(10 * (one.activationBytes() - embeddingGradient), ten.activationBytes() - embeddingGradient,
                40);
        assertEquals(10 * one.logitBytes(), ten.logitBytes(), 40);
        assertEquals(one.stateBytes(), ten.stateBytes());
    }

    @Test
    void replicasInOneJvmShareTheRuntime() {
        MemoryEstimate e = gpt(2, 2, 32, 32, 65, 8);
        assertEquals(2 * e.replicaBytes() + MemoryEstimate.RUNTIME_BYTES, e.trainingBytes(2));
    }

    @Test
    void sizesPrintAsAUserReadsThem() {
        assertEquals("384 MiB", MemoryEstimate.human(384L << 20));
        assertEquals("1.5 GiB", MemoryEstimate.human(3L << 29));
        assertEquals("12 GiB", MemoryEstimate.human(12L << 30));
        assertEquals("1 MiB", MemoryEstimate.human(10));
    }
}
