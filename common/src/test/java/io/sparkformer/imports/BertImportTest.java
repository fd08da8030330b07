package io.sparkformer.imports;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sparkformer.InputException;
import io.sparkformer.export.FloatTensor;
import io.sparkformer.testing.MiniLm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code import --from} accepts, and a BERT with its tokenizer read and checked for a checkpoint. */
class BertImportTest {
    private static final Configuration CONF = new Configuration();
    private static BertWeights onnxWeights;

    @BeforeAll
    static void load() {
        onnxWeights = OnnxBertImporter.read(MiniLm.onnx());
    }

    private static Path onnxWithTokenizer(Path dir, boolean tokenizer) throws IOException {
        Path onnx = dir.resolve("model.onnx");
        Files.write(onnx, MiniLm.onnx());
        if (tokenizer) {
            Files.writeString(dir.resolve("tokenizer.json"), MiniLm.tokenizerJson());
        }
        return onnx;
    }

    @Test
    void sourcesAreToldApartAndOthersRefusedInOneLine(@TempDir Path dir) throws IOException {
        Path onnx = onnxWithTokenizer(dir, false);
        assertEquals(ModelSource.BERT_ONNX, ModelSource.of(onnx.toString(), CONF));
        Path bert = Files.createDirectories(dir.resolve("bert"));
        Files.writeString(bert.resolve("config.json"), "{\"model_type\": \"bert\"}");
        assertEquals(ModelSource.BERT_DIRECTORY, ModelSource.of(bert.toString(), CONF));
        Path gpt2 = Files.createDirectories(dir.resolve("gpt2"));
        Files.writeString(gpt2.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
        assertEquals(ModelSource.GPT2_DIRECTORY, ModelSource.of(gpt2.toString(), CONF));

        Path t5 = Files.createDirectories(dir.resolve("t5"));
        Files.writeString(t5.resolve("config.json"), "{\"model_type\": \"t5\"}");
        assertEquals("file:" + t5.resolve("config.json") + ": model_type \"t5\" cannot be imported (bert or gpt2)",
                assertThrows(InputException.class, () -> ModelSource.of(t5.toString(), CONF)).getMessage());
        Path text = Files.writeString(dir.resolve("model.bin"), "x");
        assertEquals("file:" + text + " is a file but not an ONNX model (.onnx); --from takes an ONNX BERT or a"
                + " Hugging Face model directory",
                assertThrows(InputException.class, () -> ModelSource.of(text.toString(), CONF)).getMessage());
        assertEquals("file:" + dir.resolve("nothing") + " does not exist",
                assertThrows(InputException.class, () -> ModelSource.of(dir.resolve("nothing").toString(), CONF))
                        .getMessage());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertEquals("file:" + empty + " has no config.json",
                assertThrows(InputException.class, () -> ModelSource.of(empty.toString(), CONF)).getMessage());
    }

    @Test
    void anOnnxBertTakesTheTokenizerBesideItAsWritten(@TempDir Path dir) throws IOException {
        Path onnx = onnxWithTokenizer(dir, true);
        BertImport.Source source = BertImport.read(onnx.toString(), null, 0, CONF);
        assertEquals(onnxWeights, source.bert().encoder());
        assertEquals(MiniLm.tokenizerJson(), source.tokenizerJson());
        assertEquals(30522, source.tokenizer().vocabSize());
        Map<String, String> settings = BertImport.settings(onnxWeights.architecture(), source.tokenizer());
        assertEquals("post", settings.get("model.norm"));
        assertEquals("gelu_erf", settings.get("model.activation"));
        assertEquals("2", settings.get("model.typeVocabSize"));
        assertEquals("512", settings.get("model.contextLength"));
        assertEquals("1.0E-12", settings.get("model.layerNormEpsilon"));
        assertEquals("wordpiece", settings.get("tokenizer.type"));
        assertEquals("30522", settings.get("tokenizer.vocabSize"));
    }

    @Test
    void aShorterContextKeepsTheFirstPositionRows(@TempDir Path dir) throws IOException {
        BertImport.Source source = BertImport.read(onnxWithTokenizer(dir, true).toString(), null, 128, CONF);
        BertWeights cut = source.bert().encoder();
        assertEquals(128, cut.architecture().maxPositions());
        FloatTensor positions = cut.get(BertWeights.POSITION_EMBEDDINGS);
        assertArrayEquals(new long[] {128, 384}, positions.shape());
        assertArrayEquals(Arrays.copyOf(onnxWeights.get(BertWeights.POSITION_EMBEDDINGS).data(), 128 * 384),
                positions.data());
        assertEquals(onnxWeights.get(BertWeights.WORD_EMBEDDINGS), cut.get(BertWeights.WORD_EMBEDDINGS));
        assertEquals("--context-length 513 must be in [2, 512] (" + dir.resolve("model.onnx") + " has 512 positions)",
                assertThrows(InputException.class,
                        () -> BertImport.read(dir.resolve("model.onnx").toString(), null, 513, CONF)).getMessage());
    }

    @Test
    void aMissingOrMismatchedTokenizerIsRefused(@TempDir Path dir) throws IOException {
        Path onnx = onnxWithTokenizer(dir, false);
        assertEquals("file:" + dir.resolve("tokenizer.json") + " does not exist; a BERT checkpoint needs its"
                + " tokenizer.json (beside the ONNX file, or --tokenizer FILE)",
                assertThrows(InputException.class, () -> BertImport.read(onnx.toString(), null, 0, CONF)).getMessage());

        // A 20-token BERT directory with MiniLM's 30,522-token tokenizer.
        Path tiny = Files.createDirectories(dir.resolve("tiny"));
        Files.writeString(tiny.resolve("tokenizer.json"), MiniLm.tokenizerJson());
        HfBertWriter.write(new HfBert(HfBertDirectoryTest.tiny(), null, null), tiny.toString(), CONF, false);
        assertEquals(tiny.resolve("tokenizer.json") + " has 30522 tokens but " + tiny + " has 20 word embeddings;"
                + " they must be the same model's",
                assertThrows(InputException.class, () -> BertImport.read(tiny.toString(), null, 0, CONF)).getMessage());
    }
}
