package io.sparkformer.tokenize;

import static io.sparkformer.tokenize.TokenizerJson.NODES;
import static io.sparkformer.tokenize.TokenizerJson.invalid;
import static io.sparkformer.tokenize.TokenizerJson.string;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.tokenize.WordPieceTemplate.Piece;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The {@code tokenizer.json} of a BERT (WordPiece model, BertNormalizer, BertPreTokenizer,
 * BertProcessing or TemplateProcessing, WordPiece decoder), read and written. Anything else in
 * those places is refused, since ignoring it would give other ids than Hugging Face. Truncation
 * and padding are read past: the model's context length decides those here.
 */
final class WordPieceJson {

    private WordPieceJson() {}

    static WordPieceTokenizer read(JsonNode root, JsonNode model) {
        List<String> tokens = new ArrayList<>(TokenizerJson.vocab(model).values());
        String unk = string(model, "unk_token", "model");
        String prefix = model.path("continuing_subword_prefix").asText("##");
        JsonNode max = model.path("max_input_chars_per_word");
        int maxChars = max.isMissingNode() || max.isNull()
                ? WordPieceTokenizer.DEFAULT_MAX_INPUT_CHARS_PER_WORD
                : intValue(max, "model.max_input_chars_per_word");

        requireType(root, "pre_tokenizer", "BertPreTokenizer");
        JsonNode decoder = requireType(root, "decoder", "WordPiece");
        if (!prefix.equals(decoder.path("prefix").asText("##")) || !decoder.path("cleanup").asBoolean(true)) {
            throw invalid("decoder must be WordPiece with the model's prefix '" + prefix + "' and cleanup, got "
                    + decoder);
        }
        List<String> specials = specials(root, tokens);
        BertNormalizer normalizer = normalizer(root);
        WordPieceTemplate template = template(root.get("post_processor"), tokens);
        try {
            return new WordPieceTokenizer(tokens, unk, prefix, maxChars, normalizer, specials, template);
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
    }

    /** Missing fields take Hugging Face's defaults; strip_accents null follows lowercase. */
    private static BertNormalizer normalizer(JsonNode root) {
        JsonNode node = requireType(root, "normalizer", "BertNormalizer");
        boolean lowercase = bool(node, "lowercase", true);
        JsonNode strip = node.path("strip_accents");
        return new BertNormalizer(bool(node, "clean_text", true), bool(node, "handle_chinese_chars", true),
                strip.isMissingNode() || strip.isNull() ? lowercase : bool(node, "strip_accents", lowercase),
                lowercase);
    }

    /** Added tokens must be BERT's: special, matched as written, and already in the vocabulary. */
    private static List<String> specials(JsonNode root, List<String> tokens) {
        List<String> specials = new ArrayList<>();
        for (JsonNode added : root.path("added_tokens")) {
            String content = string(added, "content", "added token");
            boolean plain = added.path("special").asBoolean(false)
                    && !added.path("normalized").asBoolean(false)
                    && !added.path("single_word").asBoolean(false)
                    && !added.path("lstrip").asBoolean(false)
                    && !added.path("rstrip").asBoolean(false);
            if (!plain) {
                throw invalid("added token '" + content + "' must be special and not normalized, single_word,"
                        + " lstrip or rstrip, got " + added);
            }
            int id = intValue(added.path("id"), "added token '" + content + "' id");
            if (id >= tokens.size() || !tokens.get(id).equals(content)) {
                throw invalid("added token '" + content + "' has id " + id + ", which is not its vocabulary id");
            }
            specials.add(content);
        }
        return specials;
    }

    private static WordPieceTemplate template(JsonNode node, List<String> tokens) {
        String type = node == null ? "null" : node.path("type").asText("null");
        if (type.equals("BertProcessing")) {
            return WordPieceTemplate.bert(tokenId(node.path("cls"), tokens), tokenId(node.path("sep"), tokens));
        }
        if (!type.equals("TemplateProcessing")) {
            throw invalid("post_processor must be BertProcessing or TemplateProcessing, got " + node);
        }
        Map<String, Integer> ids = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.path("special_tokens").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode special = entry.getValue();
            if (special.path("ids").size() != 1) {
                throw invalid("template special token '" + entry.getKey() + "' must stand for exactly one id, got "
                        + special);
            }
            ids.put(entry.getKey(), intValue(special.path("ids").get(0), "template special token id"));
        }
        return new WordPieceTemplate(pieces(node.path("single"), ids), pieces(node.path("pair"), ids));
    }

    private static List<Piece> pieces(JsonNode list, Map<String, Integer> ids) {
        List<Piece> pieces = new ArrayList<>();
        for (JsonNode item : list) {
            JsonNode special = item.get("SpecialToken");
            JsonNode sequence = item.get("Sequence");
            if (special != null) {
                Integer id = ids.get(special.path("id").asText());
                if (id == null) {
                    throw invalid("template token " + special.path("id") + " is not in special_tokens");
                }
                pieces.add(Piece.special(id, intValue(special.path("type_id"), "type_id")));
            } else if (sequence != null) {
                pieces.add(Piece.sequence(sequence.path("id").asText(), intValue(sequence.path("type_id"), "type_id")));
            } else {
                throw invalid("template piece " + item + " is neither SpecialToken nor Sequence");
            }
        }
        return pieces;
    }

    /** BertProcessing's ["[CLS]", 101]: the id must be the token's. */
    private static int tokenId(JsonNode pair, List<String> tokens) {
        int id = intValue(pair.path(1), "BertProcessing token id");
        if (id >= tokens.size() || !tokens.get(id).equals(pair.path(0).asText())) {
            throw invalid("BertProcessing token " + pair + " does not match the vocabulary");
        }
        return id;
    }

    static String write(WordPieceTokenizer tokenizer) {
        List<String> tokens = tokenizer.tokens();
        ObjectNode root = NODES.objectNode().put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String special : tokenizer.specialTokens()) {
            added.addObject().put("id", tokenizer.id(special)).put("content", special).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        BertNormalizer n = tokenizer.normalizer();
        root.putObject("normalizer").put("type", "BertNormalizer").put("clean_text", n.cleanText())
                .put("handle_chinese_chars", n.handleChineseChars()).put("strip_accents", n.stripAccents())
                .put("lowercase", n.lowercase());
        root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        writePieces(post.putArray("single"), tokenizer.template().single(), tokens);
        writePieces(post.putArray("pair"), tokenizer.template().pair(), tokens);
        ObjectNode specials = post.putObject("special_tokens");
        for (int id : new TreeSet<>(tokenizer.template().specialIds())) {
            ObjectNode special = specials.putObject(tokens.get(id)).put("id", tokens.get(id));
            special.putArray("ids").add(id);
            special.putArray("tokens").add(tokens.get(id));
        }
        root.putObject("decoder").put("type", "WordPiece").put("prefix", tokenizer.prefix()).put("cleanup", true);
        ObjectNode model = root.putObject("model").put("type", "WordPiece").put("unk_token", tokenizer.unkToken())
                .put("continuing_subword_prefix", tokenizer.prefix())
                .put("max_input_chars_per_word", tokenizer.maxInputCharsPerWord());
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < tokens.size(); id++) {
            vocab.put(tokens.get(id), id);
        }
        return TokenizerJson.write(root);
    }

    private static void writePieces(ArrayNode out, List<Piece> pieces, List<String> tokens) {
        for (Piece piece : pieces) {
            if (piece.specialId() >= 0) {
                out.addObject().putObject("SpecialToken").put("id", tokens.get(piece.specialId()))
                        .put("type_id", piece.typeId());
            } else {
                out.addObject().putObject("Sequence").put("id", piece.sequence()).put("type_id", piece.typeId());
            }
        }
    }

    private static JsonNode requireType(JsonNode root, String field, String type) {
        JsonNode node = root.get(field);
        if (node == null || !type.equals(node.path("type").asText())) {
            throw invalid("a WordPiece tokenizer needs a " + type + " " + field + ", got " + node);
        }
        return node;
    }

    private static boolean bool(JsonNode node, String field, boolean fallback) {
        JsonNode value = node.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return fallback;
        }
        if (!value.isBoolean()) {
            throw invalid(node.path("type").asText() + "." + field + " must be true or false, got " + value);
        }
        return value.asBoolean();
    }

    private static int intValue(JsonNode node, String what) {
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() < 0) {
            throw invalid(what + " must be a non-negative integer, got " + node);
        }
        return node.asInt();
    }
}
