package io.sparkformer.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.InputException;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.gpt.GptSpec;
import io.sparkformer.tokenize.BpeTrainer;
import io.sparkformer.tokenize.CharTokenizer;
import io.sparkformer.tokenize.Tokenizer;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HfExportConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final GptSpec SPEC = new GptSpec(17, 8, Architecture.preNorm(16, 2, 2, 24, false, false, 1e-5, 0.1), false);

    @Test
    void configJsonDescribesAGpt2LMHeadModelThatComputesWhatOurModelComputes(@TempDir File dir) throws Exception {
        Checkpoint c = TinyCheckpoints.checkpoint(1, "model.tiedEmbeddings=false", "model.layerNormEpsilon=1e-6");
        HfExporter.export(c, Optional.empty(), dir.getAbsolutePath(), new Configuration(), false);
        JsonNode j = JSON.readTree(new File(dir, HfFiles.CONFIG));
        assertEquals("[\"GPT2LMHeadModel\"]", j.get("architectures").toString());
        assertEquals("gpt2", j.get("model_type").asText());
        assertEquals(c.tokenizer().vocabSize(), j.get("vocab_size").asInt());
        assertEquals(8, j.get("n_positions").asInt());
        assertEquals(16, j.get("n_embd").asInt());
        assertEquals(2, j.get("n_layer").asInt());
        assertEquals(2, j.get("n_head").asInt());
        assertEquals(24, j.get("n_inner").asInt());
        assertEquals("gelu_new", j.get("activation_function").asText());
        assertEquals(1e-6, j.get("layer_norm_epsilon").asDouble());
        for (String dropout : List.of("resid_pdrop", "embd_pdrop", "attn_pdrop")) {
            assertEquals(0.1, j.get(dropout).asDouble(), dropout);
        }
        assertEquals(false, j.get("tie_word_embeddings").asBoolean());
        assertEquals(true, j.get("scale_attn_weights").asBoolean());
        assertEquals(false, j.get("scale_attn_by_inverse_layer_idx").asBoolean());
        assertTrue(j.get("bos_token_id").isNull() && j.get("eos_token_id").isNull(),
                "a character vocabulary has no end-of-text token; GPT2Config's default 50256 would be wrong");
        assertEquals("float32", j.get("torch_dtype").asText());
    }

    @Test
    void tiedModelSetsTieWordEmbeddings() {
        GptSpec tied = new GptSpec(17, 8, Architecture.preNorm(16, 2, 2, 24, false, false, 1e-5, 0.0), true);
        assertEquals(true, Gpt2Config.toJson(tied, CharTokenizer.fit(TinyCheckpoints.TEXT))
                .get("tie_word_embeddings").asBoolean());
    }

    @Test
    void bpeWithEndOfTextGetsBosAndEosIds() {
        Tokenizer bpe = BpeTrainer.train(TinyCheckpoints.TEXT, 259).withSpecialTokens(List.of("<|endoftext|>"));
        GptSpec spec = new GptSpec(bpe.vocabSize(), 8, Architecture.preNorm(16, 2, 2, 24, false, false, 1e-5, 0.0), true);
        ObjectNode j = Gpt2Config.toJson(spec, bpe);
        assertEquals(259, j.get("bos_token_id").asInt());
        assertEquals(259, j.get("eos_token_id").asInt());
    }

    @Test
    void sinusoidalPositionsAreRefusedNamingTheSetting(@TempDir File dir) {
        Checkpoint c = TinyCheckpoints.checkpoint(2, "model.positions=sinusoidal");
        InputException e = assertThrows(InputException.class,
                () -> HfExporter.export(c, Optional.empty(), dir.getAbsolutePath(), new Configuration(), false));
        assertEquals("cannot export as GPT2LMHeadModel: model.positions = sinusoidal, but GPT-2 has only learned"
                + " position embeddings (train with model.positions = learned)", e.getMessage());
        assertEquals(0, dir.list().length, "nothing written");
    }

    @Test
    void scaledEmbeddingsAreRefusedNamingTheSetting(@TempDir File dir) {
        Checkpoint c = TinyCheckpoints.checkpoint(3, "model.scaleEmbeddings=true");
        InputException e = assertThrows(InputException.class,
                () -> HfExporter.export(c, Optional.empty(), dir.getAbsolutePath(), new Configuration(), false));
        assertEquals("cannot export as GPT2LMHeadModel: model.scaleEmbeddings = true, but GPT-2 does not multiply"
                + " token embeddings by sqrt(embedDim) (train with model.scaleEmbeddings = false)", e.getMessage());
    }

    @Test
    void configJsonReadsBackToTheSameSpec() {
        assertEquals(SPEC, Gpt2Config.fromJson(Gpt2Config.toJson(SPEC, CharTokenizer.fit(TinyCheckpoints.TEXT)), "c"));
    }

    @Test
    void unsetKeysTakeGpt2ConfigDefaults() throws Exception {
        JsonNode minimal = JSON.readTree("{\"vocab_size\": 17, \"n_ctx\": 8, \"n_embd\": 16, \"n_layer\": 2,"
                + " \"n_head\": 2, \"n_inner\": null}");
        assertEquals(new GptSpec(17, 8, Architecture.preNorm(16, 2, 2, 64, false, false, 1e-5, 0.1), true),
                Gpt2Config.fromJson(minimal, "c"));
    }

    @Test
    void configsOurModelCannotComputeAreRefused() {
        assertEquals("c: model_type is \"llama\"; only \"gpt2\" (GPT2LMHeadModel) can be imported",
                refusal("model_type", "\"llama\""));
        assertEquals("c: activation_function is \"gelu\", but our model computes GELU with the tanh approximation"
                + " (\"gelu_new\")", refusal("activation_function", "\"gelu\""));
        assertEquals("c: scale_attn_by_inverse_layer_idx = true is not supported (our model computes GPT-2 with"
                + " scale_attn_by_inverse_layer_idx = false)", refusal("scale_attn_by_inverse_layer_idx", "true"));
        assertEquals("c: n_embd must be a positive integer, got \"16\"", refusal("n_embd", "\"16\""));
        assertEquals("c: n_embd (16) is not divisible by n_head (3)", refusal("n_head", "3"));
        assertEquals("c: architectures is [\"GPT2ForSequenceClassification\"]; only GPT2LMHeadModel (or its GPT2Model"
                + " body) can be imported", refusal("architectures", "[\"GPT2ForSequenceClassification\"]"));
    }

    @Test
    void missingSizeIsRefused() {
        ObjectNode c = Gpt2Config.toJson(SPEC, CharTokenizer.fit(TinyCheckpoints.TEXT));
        c.remove("n_layer");
        assertEquals("c: n_layer is missing",
                assertThrows(InputException.class, () -> Gpt2Config.fromJson(c, "c")).getMessage());
    }

    private static String refusal(String key, String json) {
        ObjectNode c = Gpt2Config.toJson(SPEC, CharTokenizer.fit(TinyCheckpoints.TEXT));
        try {
            c.set(key, JSON.readTree(json));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return assertThrows(InputException.class, () -> Gpt2Config.fromJson(c, "c")).getMessage();
    }
}
