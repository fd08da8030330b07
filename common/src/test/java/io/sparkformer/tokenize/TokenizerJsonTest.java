package io.sparkformer.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class TokenizerJsonTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Merges "a a" -> 256, "a b" -> 257, "aa ab" -> 258; "[PAD]" is 259. */
    private static final BpeTokenizer WIKIPEDIA =
            BpeTrainer.train(Map.of("aaabdaaabac", 1L), 259).withSpecialTokens(List.of("[PAD]"));

    @Test
    void charJsonIsAWordLevelModelSplitPerCharacter() {
        assertEquals(
                "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[],"
                        + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"String\":"
                        + "\"\"},\"behavior\":\"Isolated\",\"invert\":false},\"post_processor\":null,"
                        + "\"decoder\":{\"type\":\"Fuse\"},\"model\":{\"type\":\"WordLevel\",\"vocab\":"
                        + "{\"\\n\":0,\"a\":1,\"b\":2},\"unk_token\":\"<unk>\"}}",
                CharTokenizer.fit("ba\n").toJson());
    }

    @Test
    void sha256IsTheHexDigestOfTheJson() {
        // sha256sum of the JSON in charJsonIsAWordLevelModelSplitPerCharacter.
        assertEquals(
                "48e05cb9aa62a9d4b917aabd030e0f6dc2c6a79b152e7f391de058b6d8246137",
                CharTokenizer.fit("ba\n").sha256());
    }

    @Test
    void bpeJsonHasTheHuggingFaceByteLevelLayout() throws IOException {
        JsonNode root = MAPPER.readTree(WIKIPEDIA.toJson());
        List<String> fields = new ArrayList<>();
        root.fieldNames().forEachRemaining(fields::add);
        JsonNode byteLevel =
                MAPPER.readTree(
                        "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,"
                                + "\"use_regex\":true}");
        JsonNode vocab = root.get("model").get("vocab");

        assertEquals(
                List.of(
                        "version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer",
                        "post_processor", "decoder", "model"),
                fields);
        assertEquals(byteLevel, root.get("pre_tokenizer"));
        assertEquals(byteLevel, root.get("decoder"));
        assertEquals(
                MAPPER.readTree(
                        "[{\"id\":259,\"content\":\"[PAD]\",\"single_word\":false,\"lstrip\":false,"
                                + "\"rstrip\":false,\"normalized\":false,\"special\":true}]"),
                root.get("added_tokens"));
        assertEquals("BPE", root.get("model").get("type").asText());
        assertEquals(MAPPER.readTree("[\"a a\",\"a b\",\"aa ab\"]"), root.get("model").get("merges"));
        assertEquals("\u0100", vocab.fieldNames().next()); // byte 0 first: written in id order
        assertEquals(32, vocab.get("\u0120").asInt()); // 'Ġ', the space byte
        assertEquals(258, vocab.get("aaab").asInt());
        assertEquals(259, vocab.get("[PAD]").asInt());
    }

    @Test
    void fromJsonDispatchesOnTheModelType() {
        assertInstanceOf(CharTokenizer.class, Tokenizer.fromJson(CharTokenizer.fit("ab").toJson()));
        assertInstanceOf(BpeTokenizer.class, Tokenizer.fromJson(WIKIPEDIA.toJson()));
    }

    @Test
    void jsonReadBackWritesTheSameBytes() {
        assertEquals(WIKIPEDIA.toJson(), Tokenizer.fromJson(WIKIPEDIA.toJson()).toJson());
    }

    @Test
    void mergesWrittenAsPairsAreAccepted() throws IOException {
        // Hugging Face tokenizers 0.20 and later write each merge as ["left", "right"].
        String json =
                edit(
                        WIKIPEDIA.toJson(),
                        root -> {
                            ArrayNode merges = (ArrayNode) root.get("model").get("merges");
                            for (int i = 0; i < merges.size(); i++) {
                                String[] parts = merges.get(i).asText().split(" ");
                                merges.set(i, MAPPER.createArrayNode().add(parts[0]).add(parts[1]));
                            }
                        });

        assertArrayEquals(
                new int[] {258, 'd', 258, 'a', 'c'}, Tokenizer.fromJson(json).encode("aaabdaaabac"));
    }

    @Test
    void vocabularyInAnotherIdOrderKeepsItsIds() throws IOException {
        // Files trained by Hugging Face order the byte symbols differently; swap 'a' and byte 0.
        String json =
                edit(
                        WIKIPEDIA.toJson(),
                        root -> ((ObjectNode) root.get("model").get("vocab")).put("a", 0).put("\u0100", 97));

        assertArrayEquals(
                new int[] {258, 'd', 258, 0, 'c', 97}, Tokenizer.fromJson(json).encode("aaabdaaabac\0"));
    }

    @Test
    void javaSerializationCarriesTheTokenizerJson() throws Exception {
        for (Tokenizer tokenizer : List.of(CharTokenizer.fit("ab\uD83D\uDE00"), WIKIPEDIA)) {
            Tokenizer copy = deserialize(serialize(tokenizer));

            assertEquals(tokenizer.getClass(), copy.getClass());
            assertEquals(tokenizer.toJson(), copy.toJson());
            assertArrayEquals(tokenizer.encode("ab\uD83D\uDE00"), copy.encode("ab\uD83D\uDE00"));
        }
    }

    @Test
    void garbageIsRejectedWithAOneLineMessage() {
        assertRejected(
                "not json",
                "tokenizer JSON: not valid JSON at line 1, column 4: Unrecognized token 'not': was"
                        + " expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')");
    }

    @Test
    void truncatedJsonIsRejectedWithAOneLineMessage() {
        String json = WIKIPEDIA.toJson();

        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Tokenizer.fromJson(json.substring(0, json.length() / 2)));

        assertTrue(e.getMessage().startsWith("tokenizer JSON: not valid JSON at line 1, column "));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void nonObjectIsRejected() {
        assertRejected("[1, 2]", "tokenizer JSON: expected a JSON object, got array");
    }

    @Test
    void missingModelIsRejected() {
        assertRejected("{\"version\":\"1.0\"}", "tokenizer JSON: no \"model\" object");
    }

    @Test
    void unknownModelTypeIsRejected() {
        assertRejected(
                "{\"model\":{\"type\":\"Unigram\",\"vocab\":[]}}",
                "tokenizer JSON: unsupported model type 'Unigram'; expected 'BPE' (byte-level),"
                        + " 'WordLevel' (characters) or 'WordPiece' (BERT)");
    }

    @Test
    void mergeOfAnUnknownTokenIsRejected() throws IOException {
        String json =
                edit(
                        WIKIPEDIA.toJson(),
                        root -> ((ArrayNode) root.get("model").get("merges")).add("aa zz"));

        assertRejected(json, "tokenizer JSON: merge 'aa zz' uses a token not in the vocabulary");
    }

    @Test
    void prefixSpaceIsRejectedBecauseItWouldChangeTheIds() throws IOException {
        String json =
                edit(
                        WIKIPEDIA.toJson(),
                        root -> ((ObjectNode) root.get("pre_tokenizer")).put("add_prefix_space", true));

        assertRejected(
                json,
                "tokenizer JSON: pre_tokenizer must be {\"type\":\"ByteLevel\",\"add_prefix_space\":false,"
                        + "\"use_regex\":true}, got {\"type\":\"ByteLevel\",\"add_prefix_space\":true,"
                        + "\"trim_offsets\":true,\"use_regex\":true}");
    }

    @Test
    void specialTokenBeforeTheVocabularyIsRejected() throws IOException {
        // Hugging Face's trainer puts specials first; our ids keep them after the vocabulary.
        String json =
                edit(
                        WIKIPEDIA.toJson(),
                        root -> {
                            ((ObjectNode) root.get("added_tokens").get(0)).put("id", 0);
                            ObjectNode vocab = (ObjectNode) root.get("model").get("vocab");
                            vocab.fields().forEachRemaining(
                                    entry -> entry.setValue(vocab.numberNode(entry.getValue().asInt() + 1)));
                            vocab.put("[PAD]", 0);
                        });

        assertRejected(
                json,
                "tokenizer JSON: special token '[PAD]' has id 0, but special tokens must directly follow"
                        + " the 259 vocabulary tokens");
    }

    @Test
    void characterIdsOutOfCodePointOrderAreRejected() throws IOException {
        String json =
                edit(
                        CharTokenizer.fit("ab").toJson(),
                        root -> ((ObjectNode) root.get("model").get("vocab")).put("a", 1).put("b", 0));

        assertRejected(
                json,
                "tokenizer JSON: character ids must follow code point order, but 'a' has id 1 after 'b'");
    }

    private static void assertRejected(String json, String message) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromJson(json));
        assertEquals(message, e.getMessage());
    }

    private static String edit(String json, Consumer<JsonNode> change) throws IOException {
        JsonNode root = MAPPER.readTree(json);
        change.accept(root);
        return MAPPER.writeValueAsString(root);
    }

    private static byte[] serialize(Tokenizer tokenizer) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(tokenizer);
        }
        return bytes.toByteArray();
    }

    private static Tokenizer deserialize(byte[] bytes) throws IOException, ClassNotFoundException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            return (Tokenizer) in.readObject();
        }
    }
}
