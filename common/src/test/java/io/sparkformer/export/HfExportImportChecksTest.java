package io.sparkformer.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.InputException;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.config.ConfigException;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Import refuses what does not fit, naming the tensor and both shapes, and accepts GPT-2's own quirks. */
class HfExportImportChecksTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    File dir;
    private Checkpoint original;

    @BeforeEach
    void exportTinyModel() {
        original = TinyCheckpoints.checkpoint(21);
        HfExporter.export(original, Optional.empty(), dir.getAbsolutePath(), new Configuration(), false);
    }

    private HfImporter.Imported importIt(String configText, String... sets) {
        return HfImporter.read(dir.getAbsolutePath(), configText, "test.conf", List.of(sets), new Configuration());
    }

    private String path(String file) {
        return "file:" + dir.getAbsolutePath() + "/" + file;
    }

    private void editConfig(Consumer<ObjectNode> edit) throws IOException {
        ObjectNode c = (ObjectNode) JSON.readTree(new File(dir, HfFiles.CONFIG));
        edit.accept(c);
        JSON.writeValue(new File(dir, HfFiles.CONFIG), c);
    }

    private void editWeights(Consumer<Map<String, FloatTensor>> edit) throws IOException {
        File file = new File(dir, HfFiles.MODEL);
        Safetensors s = SafetensorsReader.read(Files.readAllBytes(file.toPath()), "m");
        Map<String, FloatTensor> tensors = new HashMap<>(s.tensors());
        edit.accept(tensors);
        Files.write(file.toPath(), SafetensorsWriter.toBytes(Safetensors.of(tensors, s.metadata())));
    }

    @Test
    void shapeMismatchNamesTheTensorAndBothShapes() throws IOException {
        editConfig(c -> c.put("n_inner", 32));
        InputException e = assertThrows(InputException.class, () -> importIt(""));
        assertEquals(path(HfFiles.MODEL) + ": tensor transformer.h.0.mlp.c_fc.weight has shape [16, 24] but the model"
                + " described by config.json needs [16, 32]", e.getMessage());
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        editWeights(t -> t.remove("transformer.h.1.ln_2.bias"));
        InputException e = assertThrows(InputException.class, () -> importIt(""));
        assertEquals(path(HfFiles.MODEL) + ": no tensor transformer.h.1.ln_2.bias (or h.1.ln_2.bias), which a"
                + " GPT2LMHeadModel with n_layer 2, n_head 2, n_embd 16, n_inner 24, n_positions 8, vocab_size 17, tied"
                + " embeddings needs", e.getMessage());
    }

    @Test
    void tensorsBeyondTheConfiguredLayersAreRefused() throws IOException {
        editConfig(c -> c.put("n_layer", 1));
        InputException e = assertThrows(InputException.class, () -> importIt(""));
        assertEquals(true, e.getMessage().startsWith(path(HfFiles.MODEL) + ": unexpected tensor(s)"
                + " transformer.h.1.attn.c_attn.bias, "), e.getMessage());
    }

    @Test
    void namesWithoutTransformerPrefixAndMaskBuffersAreAcceptedAsInOpenAisGpt2File() throws IOException {
        editWeights(t -> {
            Map<String, FloatTensor> bare = new HashMap<>();
            t.forEach((name, tensor) -> bare.put(name.replace(Gpt2Weights.PREFIX, ""), tensor));
            bare.put("h.0.attn.bias", new FloatTensor(new long[] {1, 1, 8, 8}, new float[64]));
            bare.put("h.1.attn.masked_bias", new FloatTensor(new long[0], new float[] {-1e4f}));
            t.clear();
            t.putAll(bare);
        });
        assertEquals(original.model().params(), importIt("").checkpoint().model().params());
    }

    @Test
    void tiedModelAcceptsAnLmHeadEqualToTheEmbeddingAndRefusesAnotherOne() throws IOException {
        editWeights(t -> t.put("lm_head.weight", t.get("transformer.wte.weight")));
        assertEquals(original.model().params(), importIt("").checkpoint().model().params());
        editWeights(t -> t.put("lm_head.weight", new FloatTensor(t.get("lm_head.weight").shape(),
                new float[t.get("lm_head.weight").data().length])));
        assertEquals(path(HfFiles.MODEL) + ": lm_head.weight differs from the token embedding, but config.json has"
                + " tie_word_embeddings = true", assertThrows(InputException.class, () -> importIt("")).getMessage());
    }

    @Test
    void vocabularySizeMustMatchTheTokenizer() throws IOException {
        editConfig(c -> c.put("vocab_size", 32));
        assertEquals(path(HfFiles.CONFIG) + " has vocab_size 32 but " + path(HfFiles.TOKENIZER) + " has 17 tokens; our"
                + " model needs them equal", assertThrows(InputException.class, () -> importIt("")).getMessage());
    }

    @Test
    void missingFileIsNamed() {
        new File(dir, HfFiles.TOKENIZER).delete();
        assertEquals("file:" + dir.getAbsolutePath() + " has no tokenizer.json",
                assertThrows(InputException.class, () -> importIt("")).getMessage());
    }

    @Test
    void architectureKeysInTheUsersConfigMustAgreeWithConfigJson() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> importIt("model { layers = 3, heads = 2 }", "model.contextLength=16"));
        assertEquals("the config (test.conf, --set) disagrees with " + path(HfFiles.CONFIG) + ": model.layers = 3 (the"
                + " imported model has 2), model.contextLength = 16 (the imported model has 8); leave these keys out, the"
                + " architecture comes from the model", e.getMessage());
    }

    @Test
    void trainingSettingsComeFromTheUsersConfigAndArchitectureFromConfigJson() {
        HfImporter.Imported imported = importIt("train { steps = 7 }\nmodel { layers = 2 }", "model.dropout=0.0",
                "train.seed=99");
        assertEquals(7, imported.config().train().steps());
        assertEquals(99, imported.checkpoint().state().seed());
        assertEquals(0.0, imported.config().model().dropout(), "dropout may be changed for fine-tuning");
        assertEquals(original.config().model().embedDim(), imported.config().model().embedDim());
        assertEquals(24, imported.config().model().ffnDim());
        assertEquals("char", imported.config().tokenizer().type().name().toLowerCase());
    }
}
