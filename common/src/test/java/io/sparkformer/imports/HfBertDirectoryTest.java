package io.sparkformer.imports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.InputException;
import io.sparkformer.export.FloatTensor;
import io.sparkformer.export.Safetensors;
import io.sparkformer.export.SafetensorsWriter;
import io.sparkformer.testing.MiniLm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hugging Face BERT directories, written here with our SafetensorsWriter under transformers' names
 * and a config.json as transformers writes it (not with {@link HfBertWriter}, so the reader is
 * checked against the layout, not against our own writer), then read back.
 */
class HfBertDirectoryTest {
    /** all-MiniLM-L6-v2's config.json as published (the keys our reader looks at, and some it ignores). */
    private static final String MINILM_CONFIG = """
            {"_name_or_path": "nreimers/MiniLM-L6-H384-uncased", "architectures": ["%s"],
             "attention_probs_dropout_prob": 0.1, "gradient_checkpointing": false, "hidden_act": "gelu",
             "hidden_dropout_prob": 0.1, "hidden_size": 384, "initializer_range": 0.02, "intermediate_size": 1536,
             "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert",
             "num_attention_heads": 12, "num_hidden_layers": 6, "pad_token_id": 0,
             "position_embedding_type": "absolute", "transformers_version": "4.8.2", "type_vocab_size": 2,
             "use_cache": true, "vocab_size": 30522%s}
            """;
    private static final Configuration CONF = new Configuration();
    private static BertWeights miniLm;

    @BeforeAll
    static void load() {
        miniLm = OnnxBertImporter.read(MiniLm.onnx());
    }

    @Test
    void bertModelDirectoryReadsBackTheOnnxWeights(@TempDir Path dir) throws IOException {
        writeDir(dir, MINILM_CONFIG.formatted("BertModel", ""), miniLm.tensors(), MiniLm.tokenizerJson());
        HfBert read = HfBertReader.read(dir.toString(), CONF);
        assertEquals(miniLm, read.encoder());
        assertNull(read.classifier());
        assertEquals(MiniLm.tokenizerJson(), read.tokenizerJson());
    }

    @Test
    void sequenceClassifierReadsTheEncoderUnderItsPrefixAndTheHead(@TempDir Path dir) throws IOException {
        BertWeights withPooler = withPooler(miniLm);
        Map<String, FloatTensor> tensors = prefixed(withPooler);
        FloatTensor weight = random(new long[] {3, 384}, 5);
        FloatTensor bias = random(new long[] {3}, 6);
        tensors.put("classifier.weight", weight);
        tensors.put("classifier.bias", bias);
        writeDir(dir, MINILM_CONFIG.formatted("BertForSequenceClassification",
                ", \"id2label\": {\"0\": \"negative\", \"1\": \"neutral\", \"2\": \"positive\"},"
                        + " \"label2id\": {\"negative\": 0, \"neutral\": 1, \"positive\": 2}"), tensors, null);
        HfBert read = HfBertReader.read(dir.toString(), CONF);
        assertEquals(withPooler, read.encoder());
        assertEquals(new HfBert.Classifier(weight, bias, List.of("negative", "neutral", "positive")),
                read.classifier());
        assertNull(read.tokenizerJson());
    }

    /**
     * A BertForMaskedLM keeps its head (cls.predictions: transform dense + LayerNorm, decoder bias);
     * the decoder weight and bias, tied copies some files hold, are accepted when they equal what
     * they are tied to and refused otherwise.
     */
    @Test
    void maskedLmKeepsItsHeadAndAcceptsOnlyTiedDecoderCopies(@TempDir Path dir) throws IOException {
        Map<String, FloatTensor> tensors = prefixed(miniLm);
        Map<String, FloatTensor> head = maskedLmHead(miniLm.architecture());
        tensors.putAll(head);
        writeDir(dir, MINILM_CONFIG.formatted("BertForMaskedLM", ""), tensors, null);
        HfBert read = HfBertReader.read(dir.toString(), CONF);
        assertEquals(miniLm, read.encoder());
        assertEquals(HfBert.MaskedLm.of(head), read.maskedLm());
        assertEquals(HfBertConfig.MASKED_LM, read.modelClass());

        tensors.put("cls.predictions.decoder.weight", miniLm.get(BertWeights.WORD_EMBEDDINGS));
        tensors.put("cls.predictions.decoder.bias", head.get("cls.predictions.bias"));
        writeDir(dir, MINILM_CONFIG.formatted("BertForMaskedLM", ""), tensors, null);
        assertEquals(read, HfBertReader.read(dir.toString(), CONF));

        tensors.put("cls.predictions.decoder.weight", random(new long[] {30522, 384}, 9));
        writeDir(dir, MINILM_CONFIG.formatted("BertForMaskedLM", ""), tensors, null);
        assertEquals("file:" + dir.resolve("model.safetensors") + ": tensor 'cls.predictions.decoder.weight' differs"
                + " from 'embeddings.word_embeddings.weight'; only a masked-LM decoder tied to it can be imported",
                assertThrows(InputException.class, () -> HfBertReader.read(dir.toString(), CONF)).getMessage());
    }

    @Test
    void aMaskedLmGoesOutAsBertForMaskedLmAndReadsBackIdentical(@TempDir Path dir) throws IOException {
        HfBert mlm = new HfBert(tiny(false), null, HfBert.MaskedLm.of(maskedLmHead(tiny().architecture())), null);
        HfBertWriter.write(mlm, dir.toString(), CONF, false);
        assertEquals(mlm, HfBertReader.read(dir.toString(), CONF));
        assertEquals("BertForMaskedLM", new ObjectMapper().readTree(dir.resolve("config.json").toFile())
                .path("architectures").get(0).asText());
        Safetensors written = io.sparkformer.export.SafetensorsReader.read(Files.newInputStream(
                dir.resolve("model.safetensors")), Files.size(dir.resolve("model.safetensors")), "written");
        assertEquals(true, written.tensors().containsKey("bert.embeddings.word_embeddings.weight"));
        assertEquals(true, written.tensors().containsKey("cls.predictions.transform.dense.weight"));
        assertFalse(written.tensors().containsKey("cls.predictions.decoder.weight"), "tied: save_pretrained omits it");
    }

    @Test
    void importExportImportIsIdentical(@TempDir Path dir) throws IOException {
        Path first = dir.resolve("first");
        Map<String, FloatTensor> tensors = prefixed(withPooler(miniLm));
        tensors.put("classifier.weight", random(new long[] {2, 384}, 7));
        tensors.put("classifier.bias", random(new long[] {2}, 8));
        writeDir(first, MINILM_CONFIG.formatted("BertForSequenceClassification",
                ", \"id2label\": {\"0\": \"neg\", \"1\": \"pos\"}"), tensors, MiniLm.tokenizerJson());
        HfBert imported = HfBertReader.read(first.toString(), CONF);

        Path exported = dir.resolve("exported");
        HfBertWriter.write(imported, exported.toString(), CONF, false);
        HfBert again = HfBertReader.read(exported.toString(), CONF);
        assertEquals(imported, again);
        // Byte for byte: the same tensors under the same names, and the tokenizer as it came.
        assertEquals(Files.readString(first.resolve("tokenizer.json")),
                Files.readString(exported.resolve("tokenizer.json")));
        JsonNode config = new ObjectMapper().readTree(exported.resolve("config.json").toFile());
        assertEquals("BertForSequenceClassification", config.path("architectures").get(0).asText());
        assertEquals("pos", config.path("id2label").path("1").asText());
        assertEquals(0, config.path("label2id").path("neg").asInt(-1));
        assertEquals("gelu", config.path("hidden_act").asText());
        InputException refused = assertThrows(InputException.class,
                () -> HfBertWriter.write(imported, exported.toString(), CONF, false));
        assertEquals("file:" + exported + " already holds a config.json: pass --overwrite to replace it",
                refused.getMessage());

        // An encoder alone goes out as a BertModel without prefix.
        Path encoder = dir.resolve("encoder");
        HfBertWriter.write(new HfBert(miniLm, null, null), encoder.toString(), CONF, false);
        assertEquals("BertModel", new ObjectMapper().readTree(encoder.resolve("config.json").toFile())
                .path("architectures").get(0).asText());
        assertEquals(miniLm, HfBertReader.read(encoder.toString(), CONF).encoder());
        assertFalse(Files.exists(encoder.resolve("tokenizer.json")));
    }

    @Test
    void aMissingTensorIsNamedWithItsFile(@TempDir Path dir) throws IOException {
        BertWeights tiny = tiny();
        Map<String, FloatTensor> tensors = new LinkedHashMap<>(tiny.tensors());
        tensors.remove("encoder.layer.1.output.dense.weight");
        writeDir(dir, tinyConfig("BertModel", "gelu_new"), tensors, null);
        InputException e = assertThrows(InputException.class, () -> HfBertReader.read(dir.toString(), CONF));
        assertEquals("file:" + dir.resolve("model.safetensors") + " has no tensor 'encoder.layer.1.output.dense.weight',"
                + " which a BertModel of config.json's sizes has", e.getMessage());
    }

    @Test
    void aWrongShapeIsNamedWithWhatConfigJsonImplies(@TempDir Path dir) throws IOException {
        Map<String, FloatTensor> tensors = new LinkedHashMap<>(tiny().tensors());
        tensors.put("encoder.layer.0.intermediate.dense.weight", random(new long[] {16, 8}, 3));
        writeDir(dir, tinyConfig("BertModel", "gelu"), tensors, null);
        InputException e = assertThrows(InputException.class, () -> HfBertReader.read(dir.toString(), CONF));
        assertEquals("file:" + dir.resolve("model.safetensors") + ": tensor 'encoder.layer.0.intermediate.dense.weight'"
                + " has shape [16, 8], config.json implies [12, 8]", e.getMessage());
    }

    @Test
    void anExtraTensorIsRefused(@TempDir Path dir) throws IOException {
        Map<String, FloatTensor> tensors = new LinkedHashMap<>(tiny().tensors());
        tensors.put("qa_outputs.weight", random(new long[] {2, 8}, 3));
        writeDir(dir, tinyConfig("BertModel", "gelu"), tensors, null);
        InputException e = assertThrows(InputException.class, () -> HfBertReader.read(dir.toString(), CONF));
        assertEquals("file:" + dir.resolve("model.safetensors") + ": tensor 'qa_outputs.weight' is not part of a"
                + " BertModel; is config.json's architectures right?", e.getMessage());
    }

    @Test
    void otherModelsAndArchitecturesAreRefusedInOneLine(@TempDir Path dir) throws IOException {
        writeDir(dir, tinyConfig("BertModel", "gelu").replace("\"bert\"", "\"roberta\""), tiny().tensors(), null);
        assertEquals("file:" + dir.resolve("config.json") + ": model_type is \"roberta\", not \"bert\"; only BERT"
                + " (and GPT-2) models can be imported",
                assertThrows(InputException.class, () -> HfBertReader.read(dir.toString(), CONF)).getMessage());
        writeDir(dir, tinyConfig("BertForQuestionAnswering", "gelu"), tiny().tensors(), null);
        assertEquals("file:" + dir.resolve("config.json") + ": architectures [\"BertForQuestionAnswering\"] is not one"
                + " of [BertForMaskedLM, BertForSequenceClassification, BertModel]",
                assertThrows(InputException.class, () -> HfBertReader.read(dir.toString(), CONF)).getMessage());
        writeDir(dir, tinyConfig("BertModel", "relu"), tiny().tensors(), null);
        assertEquals("file:" + dir.resolve("config.json") + ": hidden_act \"relu\" is not supported (gelu or gelu_new)",
                assertThrows(InputException.class, () -> HfBertReader.read(dir.toString(), CONF)).getMessage());
    }

    @Test
    void geluNewIsTheTanhActivation(@TempDir Path dir) throws IOException {
        writeDir(dir, tinyConfig("BertModel", "gelu_new"), tiny().tensors(), null);
        assertEquals(io.sparkformer.config.ModelConfig.Activation.GELU_TANH,
                HfBertReader.read(dir.toString(), CONF).encoder().architecture().activation());
    }

    // --- helpers ------------------------------------------------------------------------------

    /** 2 layers, hidden 8, 2 heads, FFN 12, vocabulary 20, 10 positions, 2 token types; with a pooler. */
    static BertWeights tiny() {
        return tiny(true);
    }

    static BertWeights tiny(boolean pooler) {
        BertArchitecture a = new BertArchitecture(2, 8, 2, 12, 20, 10, 2, 1e-12);
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        int seed = 0;
        for (Map.Entry<String, long[]> e : BertWeights.names(a, pooler).entrySet()) {
            tensors.put(e.getKey(), random(e.getValue(), seed++));
        }
        return new BertWeights(a, tensors);
    }

    private static String tinyConfig(String modelClass, String activation) {
        return "{\"architectures\": [\"" + modelClass + "\"], \"model_type\": \"bert\", \"hidden_size\": 8,"
                + " \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"intermediate_size\": 12,"
                + " \"hidden_act\": \"" + activation + "\", \"max_position_embeddings\": 10, \"type_vocab_size\": 2,"
                + " \"vocab_size\": 20, \"layer_norm_eps\": 1e-12}";
    }

    /** A BertForMaskedLM head of random values (LayerNorm gain near 1, so it does not flatten the input). */
    static Map<String, FloatTensor> maskedLmHead(BertArchitecture a) {
        Map<String, FloatTensor> head = new LinkedHashMap<>();
        int seed = 100;
        for (Map.Entry<String, long[]> e : HfBert.MaskedLm.shapes(a).entrySet()) {
            FloatTensor t = random(e.getValue(), seed++);
            if (e.getKey().equals(HfBert.MaskedLm.NORM_WEIGHT)) {
                float[] gain = t.data().clone();
                for (int i = 0; i < gain.length; i++) {
                    gain[i] = 1 + 0.1f * gain[i];
                }
                t = new FloatTensor(t.shape(), gain);
            }
            head.put(e.getKey(), t);
        }
        return head;
    }

    static BertWeights withPooler(BertWeights w) {
        Map<String, FloatTensor> tensors = new LinkedHashMap<>(w.tensors());
        long h = w.architecture().hidden();
        tensors.put(BertWeights.POOLER_WEIGHT, random(new long[] {h, h}, 11));
        tensors.put(BertWeights.POOLER_BIAS, random(new long[] {h}, 12));
        return new BertWeights(w.architecture(), tensors);
    }

    private static Map<String, FloatTensor> prefixed(BertWeights w) {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        w.tensors().forEach((name, t) -> out.put("bert." + name, t));
        return out;
    }

    static FloatTensor random(long[] shape, long seed) {
        Random random = new Random(seed);
        float[] data = new float[(int) FloatTensor.elements(shape)];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        return new FloatTensor(shape, data);
    }

    private static void writeDir(Path dir, String config, Map<String, FloatTensor> tensors, String tokenizer)
            throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config);
        try (var out = Files.newOutputStream(dir.resolve("model.safetensors"))) {
            SafetensorsWriter.write(Safetensors.of(tensors, Map.of("format", "pt")), out);
        }
        if (tokenizer != null) {
            Files.writeString(dir.resolve("tokenizer.json"), tokenizer);
        }
    }
}
