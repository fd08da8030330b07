package io.sparkformer.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkformer.job.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code import --from} refuses what is neither a BERT (ONNX or Hugging Face) nor a GPT-2, in one line, exit 2. */
class ImportSourceCommandTest {

    @Test
    void anotherModelTypeIsRefusedInOneLine(@TempDir Path dir) throws IOException {
        Path t5 = Files.createDirectories(dir.resolve("t5"));
        Files.writeString(t5.resolve("config.json"), "{\"model_type\": \"t5\"}");
        Cli.Result r = Cli.run("import", "--from", t5.toString(), "--out", dir.resolve("run").toString());
        assertEquals(2, r.code());
        assertEquals("sparkformer import: error: file:" + t5.resolve("config.json") + ": model_type \"t5\" cannot be"
                + " imported (bert or gpt2)", lastLine(r.err()));
        assertEquals(false, Files.exists(dir.resolve("run")), "nothing written");
    }

    @Test
    void aFileThatIsNotOnnxIsRefusedInOneLine(@TempDir Path dir) throws IOException {
        Path bin = Files.writeString(dir.resolve("pytorch_model.bin"), "x");
        Cli.Result r = Cli.run("import", "--from", bin.toString(), "--out", dir.resolve("run").toString());
        assertEquals(2, r.code());
        assertEquals("sparkformer import: error: file:" + bin + " is a file but not an ONNX model (.onnx); --from"
                + " takes an ONNX BERT or a Hugging Face model directory", lastLine(r.err()));
    }

    @Test
    void bertOptionsOnAGpt2AreRefused(@TempDir Path dir) throws IOException {
        Path gpt2 = Files.createDirectories(dir.resolve("gpt2"));
        Files.writeString(gpt2.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
        Cli.Result r = Cli.run("import", "--from", gpt2.toString(), "--out", dir.resolve("run").toString(),
                "--context-length", "64");
        assertEquals(2, r.code());
        assertEquals("sparkformer import: error: --tokenizer and --context-length are for BERT imports; " + gpt2
                + " is a GPT-2", lastLine(r.err()));
    }

    /** The error line; a logger may write warnings (Hadoop's native-library one) to stderr before it. */
    private static String lastLine(String err) {
        String[] lines = err.strip().split("\n");
        return lines[lines.length - 1];
    }
}
