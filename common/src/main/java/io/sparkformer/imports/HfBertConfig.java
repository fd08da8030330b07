package io.sparkformer.imports;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.InputException;
import io.sparkformer.config.ModelConfig.Activation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face BERT's {@code config.json} and back: the sizes of {@link BertArchitecture}, the
 * model class ({@code architectures}) and a classifier's labels ({@code id2label}). Only what our
 * BERT computes is accepted: absolute positions, GELU in either form, no other activation.
 */
public final class HfBertConfig {
    public static final String MODEL_TYPE = "bert";
    public static final String ENCODER = "BertModel";
    public static final String CLASSIFIER = "BertForSequenceClassification";
    public static final String MASKED_LM = "BertForMaskedLM";
    /** The model classes whose weights we read; anything else (pre-training, QA, NER heads) is refused. */
    public static final Set<String> CLASSES = Set.of(ENCODER, CLASSIFIER, MASKED_LM);
    private static final Map<String, Activation> ACTIVATIONS = Map.of("gelu", Activation.GELU_ERF,
            "gelu_new", Activation.GELU_TANH, "gelu_pytorch_tanh", Activation.GELU_TANH);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /**
     * What config.json says.
     *
     * @param modelClass one of {@link #CLASSES}; {@link #ENCODER} when {@code architectures} is absent
     * @param labels     id2label in id order for a classifier, else empty
     */
    public record Parsed(BertArchitecture architecture, String modelClass, List<String> labels) {}

    private HfBertConfig() {
    }

    /** Whether a parsed config.json is a BERT's ({@code model_type = bert}). */
    public static boolean isBert(JsonNode config) {
        return MODEL_TYPE.equals(config.path("model_type").asText(null));
    }

    /**
     * @param source names the file in messages
     * @throws InputException one line naming the file and the key when this is not a BERT we compute
     */
    public static Parsed parse(JsonNode c, String source) {
        if (!isBert(c)) {
            throw new InputException(source + ": model_type is " + c.path("model_type")
                    + ", not \"bert\"; only BERT (and GPT-2) models can be imported");
        }
        String modelClass = modelClass(c, source);
        String act = c.path("hidden_act").asText("gelu");
        Activation activation = ACTIVATIONS.get(act);
        if (activation == null) {
            throw new InputException(source + ": hidden_act \"" + act + "\" is not supported (gelu or gelu_new)");
        }
        String positions = c.path("position_embedding_type").asText("absolute");
        if (!positions.equals("absolute")) {
            throw new InputException(source + ": position_embedding_type \"" + positions
                    + "\" is not supported (absolute only)");
        }
        if (c.path("is_decoder").asBoolean(false) || c.path("add_cross_attention").asBoolean(false)) {
            throw new InputException(source + ": a BERT decoder (is_decoder/add_cross_attention) is not supported");
        }
        BertArchitecture architecture;
        try {
            architecture = new BertArchitecture(size(c, "num_hidden_layers", source), size(c, "hidden_size", source),
                    size(c, "num_attention_heads", source), size(c, "intermediate_size", source),
                    size(c, "vocab_size", source), size(c, "max_position_embeddings", source),
                    size(c, "type_vocab_size", source), number(c, "layer_norm_eps", 1e-12, source), activation);
        } catch (IllegalArgumentException e) {
            throw new InputException(source + ": " + e.getMessage());
        }
        List<String> labels = modelClass.equals(CLASSIFIER) ? labels(c, source) : List.of();
        return new Parsed(architecture, modelClass, labels);
    }

    private static String modelClass(JsonNode c, String source) {
        JsonNode list = c.path("architectures");
        if (list.isMissingNode() || list.isNull()) {
            return ENCODER;
        }
        if (!list.isArray() || list.size() != 1 || !CLASSES.contains(list.get(0).asText())) {
            throw new InputException(source + ": architectures " + list + " is not one of " + CLASSES.stream().sorted()
                    .toList());
        }
        return list.get(0).asText();
    }

    /** id2label with ids 0..K-1; regression (one label) and multi-label problems are refused. */
    private static List<String> labels(JsonNode c, String source) {
        String problem = c.path("problem_type").asText("single_label_classification");
        if (!problem.equals("single_label_classification")) {
            throw new InputException(source + ": problem_type \"" + problem
                    + "\" is not supported (single_label_classification only)");
        }
        JsonNode id2label = c.path("id2label");
        int n = id2label.size();
        if (!id2label.isObject() || n < 2) {
            throw new InputException(source + ": a " + CLASSIFIER + " needs id2label with at least two labels, got "
                    + id2label);
        }
        List<String> labels = new ArrayList<>();
        for (int id = 0; id < n; id++) {
            JsonNode label = id2label.get(Integer.toString(id));
            if (label == null || !label.isTextual()) {
                throw new InputException(source + ": id2label has no label for id " + id + " (ids must be 0.."
                        + (n - 1) + ")");
            }
            labels.add(label.asText());
        }
        if (labels.stream().distinct().count() != n) {
            throw new InputException(source + ": id2label names a label twice: " + labels);
        }
        return labels;
    }

    private static int size(JsonNode c, String key, String source) {
        JsonNode v = c.path(key);
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1) {
            throw new InputException(source + ": " + key + " must be a positive integer, got "
                    + (v.isMissingNode() ? "nothing" : v.toString()));
        }
        return v.asInt();
    }

    private static double number(JsonNode c, String key, double fallback, String source) {
        JsonNode v = c.path(key);
        if (v.isMissingNode()) {
            return fallback;
        }
        if (!v.isNumber()) {
            throw new InputException(source + ": " + key + " must be a number, got " + v);
        }
        return v.asDouble();
    }

    /**
     * config.json of a {@code modelClass} (one of {@link #CLASSES}; a classifier's labels given,
     * otherwise empty), computing what {@code architecture} computes.
     */
    public static ObjectNode toJson(BertArchitecture a, String modelClass, List<String> labels) {
        if (!CLASSES.contains(modelClass) || modelClass.equals(CLASSIFIER) == labels.isEmpty()) {
            throw new IllegalArgumentException("a " + modelClass + " with labels " + labels);
        }
        ObjectNode c = NODES.objectNode();
        c.putArray("architectures").add(modelClass);
        c.put("model_type", MODEL_TYPE);
        c.put("vocab_size", a.vocab());
        c.put("hidden_size", a.hidden());
        c.put("num_hidden_layers", a.layers());
        c.put("num_attention_heads", a.heads());
        c.put("intermediate_size", a.ffn());
        c.put("hidden_act", a.activation() == Activation.GELU_ERF ? "gelu" : "gelu_new");
        c.put("max_position_embeddings", a.maxPositions());
        c.put("type_vocab_size", a.typeVocab());
        c.put("layer_norm_eps", a.layerNormEpsilon());
        c.put("position_embedding_type", "absolute");
        c.put("hidden_dropout_prob", 0.1);
        c.put("attention_probs_dropout_prob", 0.1);
        c.put("initializer_range", 0.02);
        if (!labels.isEmpty()) {
            c.put("problem_type", "single_label_classification");
            ObjectNode id2label = c.putObject("id2label");
            ObjectNode label2id = c.putObject("label2id");
            for (int id = 0; id < labels.size(); id++) {
                id2label.put(Integer.toString(id), labels.get(id));
                label2id.put(labels.get(id), id);
            }
        }
        return c;
    }
}
