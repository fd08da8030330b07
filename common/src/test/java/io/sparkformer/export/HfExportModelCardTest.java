package io.sparkformer.export;

import io.sparkformer.checkpoint.Checkpoint;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HfExportModelCardTest {
    private static final String METRICS = String.join("\n",
            "{\"step\":50,\"tokens\":4800,\"train_loss\":2.9,\"val_loss\":3.1}",
            "{\"step\":100,\"tokens\":9600,\"train_loss\":2.5}",
            "{\"step\":120,\"tokens\":11520,\"train_loss\":2.25,\"val_loss\":2.4}",
            "{\"step\":150,\"tokens\":14400,\"train_loss\":2.0,\"val_loss\":2.2}", "");

    @Test
    void metricsAreTheLastLossesAtOrBeforeTheCheckpointStep() {
        RunMetrics m = RunMetrics.parse(METRICS, 110);
        assertEquals(new RunMetrics.LossAt(100, 2.5), m.train().orElseThrow());
        assertEquals(new RunMetrics.LossAt(50, 3.1), m.validation().orElseThrow());
        assertTrue(RunMetrics.parse("", 10).train().isEmpty());
    }

    @Test
    void metricsAreFoundBesideAStepDirectoryOrARunDirectory(@TempDir File run) throws Exception {
        Files.writeString(new File(run, RunMetrics.FILE).toPath(), METRICS);
        File step = new File(run, "checkpoints/step-000120");
        step.mkdirs();
        Configuration conf = new Configuration();
        assertEquals(new RunMetrics.LossAt(120, 2.4),
                RunMetrics.beside(step.getAbsolutePath(), 120, conf).orElseThrow().validation().orElseThrow());
        assertEquals(new RunMetrics.LossAt(150, 2.0),
                RunMetrics.beside(run.getAbsolutePath(), 150, conf).orElseThrow().train().orElseThrow());
        assertTrue(RunMetrics.beside(step.getParentFile().getParent() + "/elsewhere", 1, conf).isEmpty());
    }

    @Test
    void modelCardStatesArchitectureStepTokensLossesConfigAndHowToLoad(@TempDir File dir) throws Exception {
        Checkpoint c = TinyCheckpoints.checkpoint(8);
        HfExporter.export(c, Optional.of(RunMetrics.parse(METRICS, 120)), dir.getAbsolutePath(), new Configuration(),
                false);
        String card = Files.readString(new File(dir, HfFiles.README).toPath());
        assertTrue(card.startsWith("---\nlibrary_name: transformers\n"), card);
        assertTrue(card.contains("# Sparkformer GPT, step 120"), card);
        assertTrue(card.contains("after 11,520 training tokens"), card);
        assertTrue(card.contains("| architecture | GPT2LMHeadModel: 2 layers, 2 heads, n_embd 16, n_inner 24, context 8,"
                + " tied embeddings |"), card);
        assertTrue(card.contains("| final train loss | 2.2500 (step 120) |"), card);
        assertTrue(card.contains("| final validation loss | 2.4000 (step 120) |"), card);
        assertTrue(card.contains("GPT2LMHeadModel.from_pretrained("), card);
        assertTrue(card.contains("PreTrainedTokenizerFast(tokenizer_file="), card);
        assertTrue(card.contains("```hocon\n" + c.configText().strip() + "\n```"), card);
    }

    @Test
    void modelCardWithoutMetricsSaysSo(@TempDir File dir) throws Exception {
        HfExporter.export(TinyCheckpoints.checkpoint(9), Optional.empty(), dir.getAbsolutePath(), new Configuration(),
                false);
        String card = Files.readString(new File(dir, HfFiles.README).toPath());
        assertTrue(card.contains("| final validation loss | not recorded |"), card);
        assertTrue(card.contains("no metrics.jsonl was found beside the checkpoint"), card);
    }
}
