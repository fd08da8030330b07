package io.sparkformer.tokenize;

import io.sparkformer.InputException;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Writes and reads Hugging Face {@code tokenizer.json}, so a run's tokenizer loads in {@code
 * tokenizers}/{@code transformers} as is. Objects are built in a fixed key order and vocabularies
 * in id order, so the same tokenizer always gives the same bytes (and {@link Tokenizer#sha256()}).
 * Reading accepts only what our tokenizers implement and rejects the rest, since a silently
 * ignored option (a normalizer, a prefix space) would give different ids than the file promises.
 */
final class TokenizerJson {

    static final ObjectMapper MAPPER =
            JsonMapper.builder()
                    .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .build();

    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /**
     * Hugging Face WordLevel needs an unknown token; this one is not in any character vocabulary
     * (it is five characters), so Hugging Face fails on unseen characters as {@link CharTokenizer}
     * does instead of mapping them to an id.
     */
    private static final String CHAR_UNK = "<unk>";

    private TokenizerJson() {}

    /** Java serialization form of both tokenizers: their tokenizer.json, read back on arrival. */
    record SerializedForm(String json) implements Serializable {
        private Object readResolve() {
            return read(json);
        }
    }

    /**
     * A WordLevel model over single characters, split by an empty pattern (Hugging Face then
     * isolates every code point, as {@link CharTokenizer} does). The decoder is Fuse, not null:
     * with no decoder Hugging Face joins tokens with spaces, which would not give the text back.
     */
    static String writeChar(int[] codePoints) {
        ObjectNode preTokenizer = NODES.objectNode().put("type", "Split");
        preTokenizer.putObject("pattern").put("String", "");
        preTokenizer.put("behavior", "Isolated").put("invert", false);

        ObjectNode model = NODES.objectNode().put("type", "WordLevel");
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < codePoints.length; id++) {
            vocab.put(Character.toString(codePoints[id]), id);
        }
        model.put("unk_token", CHAR_UNK);

        ObjectNode root = header(NODES.arrayNode());
        root.set("pre_tokenizer", preTokenizer);
        root.putNull("post_processor");
        root.set("decoder", NODES.objectNode().put("type", "Fuse"));
        root.set("model", model);
        return write(root);
    }

    /** GPT-2's layout: specials in {@code added_tokens} and, with the same ids, in the vocab. */
    static String writeBpe(BpeTokenizer tokenizer) {
        List<String> tokens = tokenizer.tokens();
        List<String> specials = tokenizer.specialTokens();
        ArrayNode added = NODES.arrayNode();
        for (int i = 0; i < specials.size(); i++) {
            added
                    .addObject()
                    .put("id", tokens.size() + i)
                    .put("content", specials.get(i))
                    .put("single_word", false)
                    .put("lstrip", false)
                    .put("rstrip", false)
                    .put("normalized", false)
                    .put("special", true);
        }
        ObjectNode model = NODES.objectNode().put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false).put("byte_fallback", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < tokens.size(); id++) {
            vocab.put(tokens.get(id), id);
        }
        for (int i = 0; i < specials.size(); i++) {
            vocab.put(specials.get(i), tokens.size() + i);
        }
        ArrayNode merges = model.putArray("merges");
        for (int[] merge : tokenizer.merges()) {
            merges.add(tokens.get(merge[0]) + " " + tokens.get(merge[1]));
        }

        ObjectNode root = header(added);
        root.set("pre_tokenizer", byteLevel());
        root.putNull("post_processor");
        root.set("decoder", byteLevel());
        root.set("model", model);
        return write(root);
    }

    static Tokenizer read(String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw invalid(
                    "not valid JSON at line "
                            + e.getLocation().getLineNr()
                            + ", column "
                            + e.getLocation().getColumnNr()
                            + ": "
                            + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw invalid("expected a JSON object, got " + kind(root));
        }
        JsonNode model = root.get("model");
        if (model == null || !model.isObject()) {
            throw invalid("no \"model\" object");
        }
        String type = string(model, "type", "model");
        try {
            if (type.equals("WordPiece")) {
                return WordPieceJson.read(root, model);
            }
            requireNull(root, "normalizer");
            switch (type) {
                case "BPE":
                    return readBpe(root, model);
                case "WordLevel":
                    return readChar(root, model);
                default:
                    throw invalid("unsupported model type '" + type
                            + "'; expected 'BPE' (byte-level), 'WordLevel' (characters) or 'WordPiece' (BERT)");
            }
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith("tokenizer JSON: ") ? e : invalid(e.getMessage());
        }
    }

    private static CharTokenizer readChar(JsonNode root, JsonNode model) {
        JsonNode split = root.get("pre_tokenizer");
        boolean perCharacter =
                split != null
                        && "Split".equals(split.path("type").asText())
                        && split.path("pattern").path("String").isTextual()
                        && split.path("pattern").path("String").asText().isEmpty()
                        && "Isolated".equals(split.path("behavior").asText())
                        && !split.path("invert").asBoolean(false);
        if (!perCharacter) {
            throw invalid("a WordLevel model is read only as a character tokenizer, which needs the"
                    + " pre_tokenizer {\"type\":\"Split\",\"pattern\":{\"String\":\"\"},"
                    + "\"behavior\":\"Isolated\"}, got " + split);
        }
        JsonNode decoder = root.get("decoder");
        if (decoder != null && !decoder.isNull() && !"Fuse".equals(decoder.path("type").asText())) {
            throw invalid("a character tokenizer's decoder must be Fuse or null, got " + decoder);
        }
        if (root.path("added_tokens").size() > 0) {
            throw invalid("a character tokenizer has no added tokens, got " + root.get("added_tokens"));
        }
        requireNullOr(root, "post_processor", null);
        Map<Integer, String> byId = vocab(model);
        int[] codePoints = new int[byId.size()];
        for (Map.Entry<Integer, String> entry : byId.entrySet()) {
            String symbol = entry.getValue();
            if (symbol.codePointCount(0, symbol.length()) != 1) {
                throw invalid("character vocabulary entry '" + symbol + "' is not a single character");
            }
            int id = entry.getKey();
            codePoints[id] = symbol.codePointAt(0);
            if (id > 0 && codePoints[id - 1] >= codePoints[id]) {
                throw invalid(
                        "character ids must follow code point order, but '" + symbol + "' has id " + id
                                + " after '" + Character.toString(codePoints[id - 1]) + "'");
            }
        }
        JsonNode unk = model.get("unk_token");
        if (unk != null && unk.isTextual() && byId.containsValue(unk.asText())) {
            throw invalid(
                    "unk_token '" + unk.asText() + "' is in the vocabulary, but a character tokenizer"
                            + " rejects unknown characters instead of mapping them");
        }
        SortedSet<Integer> set = new TreeSet<>();
        for (int codePoint : codePoints) {
            set.add(codePoint);
        }
        return CharTokenizer.ofCodePoints(set);
    }

    private static BpeTokenizer readBpe(JsonNode root, JsonNode model) {
        requirePreTokenizer(root);
        // The ByteLevel decoder only maps symbols back to bytes; its other settings do not matter.
        if (!"ByteLevel".equals(root.path("decoder").path("type").asText())) {
            throw invalid("decoder must be of type ByteLevel, got " + root.get("decoder"));
        }
        requireNullOr(root, "post_processor", "ByteLevel");
        requireNull(model, "dropout");
        requireNull(model, "unk_token");
        for (String affix : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            if (!model.path(affix).asText("").isEmpty()) {
                throw invalid("model." + affix + " is not supported, got " + model.get(affix));
            }
        }
        for (String flag : List.of("byte_fallback", "ignore_merges")) {
            if (model.path(flag).asBoolean(false)) {
                throw invalid("model." + flag + " is not supported");
            }
        }

        Map<Integer, String> specials = new TreeMap<>();
        for (JsonNode added : root.path("added_tokens")) {
            String content = string(added, "content", "added token");
            if (!added.path("special").asBoolean(false)) {
                throw invalid("added token '" + content + "' is not special; only special ones are supported");
            }
            if (!added.path("id").canConvertToExactIntegral() || !added.path("id").canConvertToInt()) {
                throw invalid("added token '" + content + "' has no integer id");
            }
            String previous = specials.put(added.get("id").asInt(), content);
            if (previous != null) {
                throw invalid("added tokens '" + previous + "' and '" + content + "' share id " + added.get("id"));
            }
        }
        // GPT-2's layout lists the specials in the vocab too; the model's own tokens are the rest.
        int listed = 0;
        for (String special : specials.values()) {
            listed += model.path("vocab").has(special) ? 1 : 0;
        }
        int modelSize = model.path("vocab").size() - listed;
        List<String> specialTokens = new ArrayList<>();
        for (Map.Entry<Integer, String> special : specials.entrySet()) {
            if (special.getKey() != modelSize + specialTokens.size()) {
                throw invalid(
                        "special token '" + special.getValue() + "' has id " + special.getKey()
                                + ", but special tokens must directly follow the " + modelSize
                                + " vocabulary tokens");
            }
            specialTokens.add(special.getValue());
        }
        Map<Integer, String> byId = vocab(model, specials);
        List<String> tokens = new ArrayList<>(byId.values());
        Map<String, Integer> ids = new HashMap<>();
        for (int id = 0; id < tokens.size(); id++) {
            ids.put(tokens.get(id), id);
        }
        List<int[]> merges = new ArrayList<>();
        JsonNode mergesNode = model.get("merges");
        if (mergesNode == null || !mergesNode.isArray()) {
            throw invalid("model.merges must be an array");
        }
        for (JsonNode merge : mergesNode) {
            String[] parts = mergeParts(merge);
            Integer left = ids.get(parts[0]);
            Integer right = ids.get(parts[1]);
            if (left == null || right == null) {
                throw invalid("merge '" + parts[0] + " " + parts[1] + "' uses a token not in the vocabulary");
            }
            merges.add(new int[] {left, right});
        }
        return new BpeTokenizer(tokens, merges, specialTokens);
    }

    /** A merge is "left right" (the classic form) or ["left", "right"] (tokenizers 0.20 on). */
    private static String[] mergeParts(JsonNode merge) {
        if (merge.isTextual()) {
            String[] parts = merge.asText().split(" ", -1);
            if (parts.length == 2 && !parts[0].isEmpty() && !parts[1].isEmpty()) {
                return parts;
            }
        } else if (merge.isArray()
                && merge.size() == 2
                && merge.get(0).isTextual()
                && merge.get(1).isTextual()) {
            return new String[] {merge.get(0).asText(), merge.get(1).asText()};
        }
        throw invalid("merge " + merge + " is not two tokens");
    }

    /** model.vocab as id -> token, checked to hold ids 0..n-1 exactly once. */
    static Map<Integer, String> vocab(JsonNode model) {
        return vocab(model, Map.of());
    }

    /**
     * model.vocab as id -> token without the special tokens (which GPT-2's layout also lists
     * there), checked to hold ids 0..n-1 exactly once.
     */
    private static Map<Integer, String> vocab(JsonNode model, Map<Integer, String> specials) {
        JsonNode vocab = model.get("vocab");
        if (vocab == null || !vocab.isObject()) {
            throw invalid("model.vocab must be an object of token to id");
        }
        TreeMap<Integer, String> byId = new TreeMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = vocab.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode id = field.getValue();
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0) {
                throw invalid("vocab entry '" + field.getKey() + "' has id " + id + ", not an id");
            }
            String special = specials.get(id.asInt());
            if (special != null) {
                if (!special.equals(field.getKey())) {
                    throw invalid(
                            "vocab entry '" + field.getKey() + "' has id " + id.asInt()
                                    + ", which belongs to special token '" + special + "'");
                }
                continue;
            }
            String previous = byId.put(id.asInt(), field.getKey());
            if (previous != null) {
                throw invalid("vocab entries '" + previous + "' and '" + field.getKey() + "' share id " + id);
            }
        }
        for (int id = 0; id < byId.size(); id++) {
            if (!byId.containsKey(id)) {
                throw invalid("vocab has no token with id " + id + " (ids must run from 0 without gaps)");
            }
        }
        return byId;
    }

    static ObjectNode header(ArrayNode addedTokens) {
        ObjectNode root = NODES.objectNode().put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        root.set("added_tokens", addedTokens);
        root.putNull("normalizer");
        return root;
    }

    /** GPT-2's ByteLevel settings: no prefix space, GPT-2's split regex. */
    private static ObjectNode byteLevel() {
        return NODES
                .objectNode()
                .put("type", "ByteLevel")
                .put("add_prefix_space", false)
                .put("trim_offsets", true)
                .put("use_regex", true);
    }

    private static void requirePreTokenizer(JsonNode root) {
        JsonNode node = root.get("pre_tokenizer");
        // add_prefix_space defaults to true in Hugging Face, so it must be stated.
        boolean gpt2 =
                node != null
                        && "ByteLevel".equals(node.path("type").asText())
                        && node.path("add_prefix_space").isBoolean()
                        && !node.get("add_prefix_space").asBoolean()
                        && node.path("use_regex").asBoolean(true);
        if (!gpt2) {
            throw invalid(
                    "pre_tokenizer must be {\"type\":\"ByteLevel\",\"add_prefix_space\":false,"
                            + "\"use_regex\":true}, got "
                            + node);
        }
    }

    static void requireNull(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value != null && !value.isNull()) {
            throw invalid(field + " is not supported, got " + value);
        }
    }

    private static void requireNullOr(JsonNode root, String field, String allowedType) {
        JsonNode value = root.get(field);
        if (value != null
                && !value.isNull()
                && (allowedType == null || !allowedType.equals(value.path("type").asText()))) {
            throw invalid(field + " is not supported, got " + value);
        }
    }

    static String string(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw invalid(where + " has no \"" + field + "\" string");
        }
        return value.asText();
    }

    private static String kind(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        return node.getNodeType().toString().toLowerCase(Locale.ROOT);
    }

    /** One line whatever the offending content holds, so it fits a log line or an exit message. */
    static InputException invalid(String message) {
        return new InputException(
                "tokenizer JSON: " + message.replace("\r", "\\r").replace("\n", "\\n"));
    }

    static String write(ObjectNode root) {
        try {
            return MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain nodes always serializes", e);
        }
    }
}
