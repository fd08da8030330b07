package io.sparkformer.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.InputException;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.gpt.GptSpec;
import io.sparkformer.tokenize.BpeTokenizer;
import io.sparkformer.tokenize.Tokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Our {@link GptSpec} as Hugging Face's {@code GPT2Config} ({@code config.json}) and back. What
 * our model computes and GPT-2 shares: pre-LayerNorm blocks, GELU in its tanh form
 * ({@code gelu_new}), attention scores scaled by 1/sqrt(D), the LayerNorm epsilon, learned
 * positions, unscaled token embeddings. One dropout rate stands for GPT-2's three.
 */
public final class Gpt2Config {
    public static final String ARCHITECTURE = "GPT2LMHeadModel";
    public static final String MODEL_TYPE = "gpt2";
    /** GPT-2's end-of-text token; a BPE tokenizer that has it as a special token gets bos/eos ids. */
    public static final String END_OF_TEXT = "<|endoftext|>";
    /** Hugging Face's names for GELU with the tanh approximation, the one our model computes. */
    private static final Set<String> TANH_GELU = Set.of("gelu_new", "gelu_pytorch_tanh");
    private static final Logger LOG = LoggerFactory.getLogger(Gpt2Config.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Gpt2Config() {
    }

    /** {@code config.json} for a GPT2LMHeadModel computing what a model of {@code spec} computes. */
    public static ObjectNode toJson(GptSpec spec, Tokenizer tokenizer) {
        Gpt2Weights.requireRepresentable(spec);
        ObjectNode c = NODES.objectNode();
        c.putArray("architectures").add(ARCHITECTURE);
        c.put("model_type", MODEL_TYPE);
        c.put("vocab_size", spec.vocabSize());
        c.put("n_positions", spec.contextLength());
        c.put("n_embd", spec.arch().embedDim());
        c.put("n_layer", spec.arch().layers());
        c.put("n_head", spec.arch().heads());
        c.put("n_inner", spec.arch().ffnDim());
        c.put("activation_function", "gelu_new");
        c.put("layer_norm_epsilon", spec.arch().layerNormEpsilon());
        c.put("resid_pdrop", spec.arch().dropout());
        c.put("embd_pdrop", spec.arch().dropout());
        c.put("attn_pdrop", spec.arch().dropout());
        c.put("initializer_range", 0.02);
        c.put("scale_attn_weights", true);
        c.put("scale_attn_by_inverse_layer_idx", false);
        c.put("reorder_and_upcast_attn", false);
        c.put("tie_word_embeddings", spec.tiedEmbeddings());
        OptionalInt endOfText = endOfText(tokenizer);
        // Explicit nulls: GPT2Config would otherwise default both to 50256, outside a small vocabulary.
        for (String key : List.of("bos_token_id", "eos_token_id")) {
            if (endOfText.isPresent()) {
                c.put(key, endOfText.getAsInt());
            } else {
                c.putNull(key);
            }
        }
        c.put("use_cache", true);
        c.put("torch_dtype", "float32");
        return c;
    }

    /**
     * The spec of the model a GPT-2 {@code config.json} describes, or an {@link InputException}
     * naming the setting our model cannot compute. Unset keys take GPT2Config's defaults, except
     * the sizes, which must be given.
     *
     * @param source names the file in messages
     */
    public static GptSpec fromJson(JsonNode c, String source) {
        if (c == null || !c.isObject()) {
            throw new InputException(source + " is not a JSON object");
        }
        String modelType = text(c, "model_type", MODEL_TYPE, source);
        if (!modelType.equals(MODEL_TYPE)) {
            throw new InputException(source + ": model_type is \"" + modelType + "\"; only \"" + MODEL_TYPE
                    + "\" (GPT2LMHeadModel) can be imported");
        }
        JsonNode architectures = c.get("architectures");
        if (architectures != null && architectures.isArray() && architectures.size() > 0) {
            boolean gpt2 = false;
            for (JsonNode a : architectures) {
                gpt2 |= a.asText().equals(ARCHITECTURE) || a.asText().equals("GPT2Model");
            }
            if (!gpt2) {
                throw new InputException(source + ": architectures is " + architectures + "; only "
                        + ARCHITECTURE + " (or its GPT2Model body) can be imported");
            }
        }
        int embedDim = positive(c, "n_embd", source);
        int heads = positive(c, "n_head", source);
        int layers = positive(c, "n_layer", source);
        int vocabSize = positive(c, "vocab_size", source);
        int context = c.has("n_positions") ? positive(c, "n_positions", source) : positive(c, "n_ctx", source);
        int ffnDim = c.hasNonNull("n_inner") ? positive(c, "n_inner", source) : 4 * embedDim;
        String activation = text(c, "activation_function", "gelu_new", source);
        if (!TANH_GELU.contains(activation)) {
            throw new InputException(source + ": activation_function is \"" + activation + "\", but our model computes"
                    + " GELU with the tanh approximation (\"gelu_new\")");
        }
        require(c, "scale_attn_weights", true, source);
        require(c, "scale_attn_by_inverse_layer_idx", false, source);
        require(c, "add_cross_attention", false, source);
        double dropout = number(c, "resid_pdrop", 0.1, source);
        for (String other : List.of("embd_pdrop", "attn_pdrop")) {
            if (number(c, other, 0.1, source) != dropout) {
                LOG.warn("{}: {} = {} differs from resid_pdrop = {}; our model has one dropout rate and uses {}",
                        source, other, number(c, other, 0.1, source), dropout, dropout);
            }
        }
        boolean tied = flag(c, "tie_word_embeddings", true, source);
        double epsilon = number(c, "layer_norm_epsilon", 1e-5, source);
        if (embedDim % heads != 0) {
            throw new InputException(source + ": n_embd (" + embedDim + ") is not divisible by n_head (" + heads + ")");
        }
        return new GptSpec(vocabSize, context, Architecture.preNorm(embedDim, heads, layers, ffnDim, false, false, epsilon, dropout), tied);
    }

    /** {@code "GPT2LMHeadModel (2 layers, 2 heads, n_embd 32, ...)"}, for messages. */
    static String describe(GptSpec spec) {
        return ARCHITECTURE + " with n_layer " + spec.arch().layers() + ", n_head " + spec.arch().heads() + ", n_embd "
                + spec.arch().embedDim() + ", n_inner " + spec.arch().ffnDim() + ", n_positions " + spec.contextLength()
                + ", vocab_size " + spec.vocabSize() + (spec.tiedEmbeddings() ? ", tied" : ", untied") + " embeddings";
    }

    private static OptionalInt endOfText(Tokenizer tokenizer) {
        if (tokenizer instanceof BpeTokenizer bpe && bpe.specialTokens().contains(END_OF_TEXT)) {
            return OptionalInt.of(bpe.specialId(END_OF_TEXT));
        }
        return OptionalInt.empty();
    }

    private static int positive(JsonNode c, String key, String source) {
        JsonNode v = c.get(key);
        if (v == null || v.isNull()) {
            throw new InputException(source + ": " + key + " is missing");
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() <= 0) {
            throw new InputException(source + ": " + key + " must be a positive integer, got " + v);
        }
        return v.intValue();
    }

    private static double number(JsonNode c, String key, double fallback, String source) {
        JsonNode v = c.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber()) {
            throw new InputException(source + ": " + key + " must be a number, got " + v);
        }
        return v.doubleValue();
    }

    private static boolean flag(JsonNode c, String key, boolean fallback, String source) {
        JsonNode v = c.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw new InputException(source + ": " + key + " must be true or false, got " + v);
        }
        return v.booleanValue();
    }

    private static String text(JsonNode c, String key, String fallback, String source) {
        JsonNode v = c.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isTextual()) {
            throw new InputException(source + ": " + key + " must be a string, got " + v);
        }
        return v.textValue();
    }

    private static void require(JsonNode c, String key, boolean supported, String source) {
        if (flag(c, key, supported, source) != supported) {
            throw new InputException(source + ": " + key + " = " + !supported + " is not supported (our model computes"
                    + " GPT-2 with " + key + " = " + supported + ")");
        }
    }
}
