package io.sparkformer.job.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.export.HfExporter;
import io.sparkformer.export.Safetensors;
import io.sparkformer.export.SafetensorsReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code export} end to end through {@code Main.execute}, on checkpoints saved by CheckpointStore. */
class ExportCommandTest {
    @TempDir
    File tmp;

    @Test
    void exportsATrainedCheckpointAsAHuggingFaceDirectory() throws Exception {
        File run = new File(tmp, "run");
        Checkpoint trained = TinyRuns.trainedRun(run);
        File out = new File(tmp, "hf");
        Object[] r = TinyRuns.cli("export", "--checkpoint", run.getAbsolutePath(), "--format", "hf", "--out",
                out.getAbsolutePath());
        assertEquals(0, r[0], (String) r[2]);
        assertEquals(List.of("README.md", "config.json", "model.safetensors", "tokenizer.json"),
                List.of(out.list()).stream().sorted().toList());
        assertEquals(4, ((String) r[1]).strip().split("\n").length, "the files written, one a line");

        Safetensors weights = SafetensorsReader.read(Files.readAllBytes(new File(out, "model.safetensors").toPath()),
                "model.safetensors");
        assertEquals(HfExporter.weights(trained), weights, "the trained parameters, as the checkpoint holds them");
        assertEquals("10", weights.metadata().get("step"));
        JsonNode config = new ObjectMapper().readTree(new File(out, "config.json"));
        assertEquals(2, config.get("n_layer").asInt());
        assertEquals(trained.tokenizer().vocabSize(), config.get("vocab_size").asInt());
        assertEquals(trained.tokenizerJson(), Files.readString(new File(out, "tokenizer.json").toPath()));
        String card = Files.readString(new File(out, "README.md").toPath());
        assertTrue(card.contains("| final train loss | 2.7000 (step 10) |"), card);
        assertTrue(card.contains("| final validation loss | 2.9000 (step 10) |"), card);
    }

    @Test
    void aStepDirectoryWorksAndFindsTheRunsMetrics() throws Exception {
        File run = new File(tmp, "run");
        TinyRuns.trainedRun(run);
        File out = new File(tmp, "hf");
        Object[] r = TinyRuns.cli("export", "--checkpoint", new File(run, "checkpoints/step-000010").getAbsolutePath(),
                "--out", "file://" + out.getAbsolutePath());
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(Files.readString(new File(out, "README.md").toPath()).contains("| final validation loss | 2.9000"));
    }

    @Test
    void sinusoidalModelIsRefusedWithExitCodeTwoAndOneLine() throws Exception {
        File run = new File(tmp, "run");
        TinyRuns.trainedRun(run, "model.positions=sinusoidal");
        Object[] r = TinyRuns.cli("export", "--checkpoint", run.getAbsolutePath(), "--out", tmp + "/hf");
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains("sparkformer export: error: cannot export as GPT2LMHeadModel:"
                + " model.positions = sinusoidal, but GPT-2 has only learned position embeddings (train with"
                + " model.positions = learned)\n"), (String) r[2]);
        assertTrue(!new File(tmp, "hf/model.safetensors").exists());
    }

    @Test
    void unknownFormatAndAnEarlierExportAreUserErrors() throws Exception {
        File run = new File(tmp, "run");
        TinyRuns.trainedRun(run);
        String out = new File(tmp, "hf").getAbsolutePath();
        Object[] onnx = TinyRuns.cli("export", "--checkpoint", run.getAbsolutePath(), "--format", "onnx", "--out", out);
        assertEquals(2, onnx[0]);
        assertTrue(((String) onnx[2]).contains("--format onnx is not supported (only hf, Hugging Face)"));
        assertEquals(0, TinyRuns.cli("export", "--checkpoint", run.getAbsolutePath(), "--out", out)[0]);
        Object[] again = TinyRuns.cli("export", "--checkpoint", run.getAbsolutePath(), "--out", out);
        assertEquals(2, again[0]);
        assertTrue(((String) again[2]).contains("already holds model.safetensors: pass --overwrite"), (String) again[2]);
        assertEquals(0, TinyRuns.cli("export", "--checkpoint", run.getAbsolutePath(), "--out", out, "--overwrite")[0]);
    }
}
