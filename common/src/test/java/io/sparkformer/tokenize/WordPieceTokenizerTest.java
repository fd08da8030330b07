package io.sparkformer.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.sparkformer.InputException;
import io.sparkformer.testing.MiniLm;
import io.sparkformer.testing.SharedData;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our WordPiece against Hugging Face {@code tokenizers} itself (the Rust library, through DJL's
 * JNI binding), both reading all-MiniLM-L6-v2's tokenizer.json: the same ids, segment ids and
 * decoded text on sentences chosen for the places where a reimplementation goes wrong.
 */
class WordPieceTokenizerTest {

    /** Each line exercises one part of the pipeline (see the comment after it). */
    static final List<String> SENTENCES = List.of(
            "Hello, World! This is a Test.", // mixed case, ASCII punctuation split off
            "The café's crème brûlée was naïve; résumé, coöperate, Müller.", // accents stripped (NFD, drop Mn)
            "ÅNGSTRÖM Øresund Straße İstanbul ΣΊΣΥΦΟΣ ὈΔΥΣΣΕΎΣ", // capitals, ß, İ's full lowercase, final sigma
            "我爱北京天安门。東京タワーと서울特別市", // CJK ideographs split, kana/hangul not, ideographic stop
            "unaffable tokenization playfully antidisestablishmentarianism", // ## continuations
            "a".repeat(100) + " " + "b".repeat(101) + " " + "ab".repeat(60), // 100 chars kept, > 100 -> [UNK]
            "e-mail: foo@bar.com, $100 + 5% = ~?!; <tag> [x] {y} `z` ^|\\ \"q\" 'r' #1 &", // ASCII symbols
            "emoji 😀 👍🏽 ❤️ 👨‍👩‍👧 🥰 and 🤯", // unknown symbols, skin tone, VS16 (Mn), ZWJ (Cf), newer emoji
            "snowman ☃ gear ⚙ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ﷽ ∰ ⅷ ①", // unknown symbols outside the BMP and compatibility forms
            "", // empty
            "  \t\n  lots   of\u00a0\u2003spaces \u3000 and\r\nnewlines\u2028here\u0085  ", // whitespace runs
            "control\u0000chars\u0007here\ufffd soft\u00adhyphen zero\u200bwidth bidi\u202eover", // clean_text
            "[CLS] literal [MASK] tokens [SEP] and [mask] [UNK] [PAD]", // specials cut from raw text
            "Numbers 3.14159, 1,000,000 and 2nd 42nd 10:30pm", // digits
            "Don't won't y'all I'm they've we're it's", // contractions (also the decoder's cleanup)
            "नमस्ते दुनिया مرحبا بالعالم สวัสดีชาวโลก Привет, мир! Γειά σου", // scripts, virama (Mn) stripped
            "„German quotes“ «guillemets» —em-dash– ‘single’ …ellipsis ¿Qué? ¡Sí!", // Unicode punctuation
            "fullwidth ＡＢＣ１２３ and ligature ﬁ", // compatibility characters (NFD keeps them)
            "a\u0301 e\u0308 combining marks and \u0301 alone"); // combining marks typed separately

    static final List<String[]> PAIRS = List.of(
            new String[] {"How old are you?", "I'm 6 years old."},
            new String[] {"", "only the second"},
            new String[] {"Ça va?", "東京は大きい"});

    private static WordPieceTokenizer ours;
    private static HuggingFaceTokenizer plain;
    private static HuggingFaceTokenizer framed;

    @BeforeAll
    static void load() throws IOException {
        String json = MiniLm.tokenizerJson();
        ours = assertInstanceOf(WordPieceTokenizer.class, Tokenizer.fromJson(json));
        // DJL truncates to a default maximum length unless told not to; we compare whole sequences.
        Path file = Files.createTempFile("minilm-tokenizer", ".json");
        try {
            Files.writeString(file, json);
            plain = HuggingFaceTokenizer.builder().optTokenizerPath(file).optAddSpecialTokens(false)
                    .optTruncation(false).optPadding(false).build();
            framed = HuggingFaceTokenizer.builder().optTokenizerPath(file).optAddSpecialTokens(true)
                    .optTruncation(false).optPadding(false).build();
        } finally {
            Files.delete(file);
        }
    }

    @AfterAll
    static void close() {
        plain.close();
        framed.close();
    }

    @Test
    void readsMiniLmTokenizerJson() {
        assertEquals(30522, ours.vocabSize());
        assertEquals("wordpiece", ours.type());
        assertEquals(BertNormalizer.UNCASED, ours.normalizer());
        assertEquals(100, ours.unkId());
        assertEquals(List.of(0, 100, 101, 102, 103),
                ours.specialTokens().stream().map(ours::id).toList());
    }

    @Test
    void idsEqualHuggingFaceOnChosenSentences() {
        for (String text : SENTENCES) {
            assertArrayEquals(toInt(plain.encode(text).getIds()), ours.encode(text), text);
        }
    }

    @Test
    void framedIdsAndSegmentsEqualHuggingFace() {
        for (String text : SENTENCES) {
            Encoding theirs = framed.encode(text);
            WordPieceTokenizer.Encoding mine = ours.encodeSentence(text);
            assertArrayEquals(toInt(theirs.getIds()), mine.ids(), text);
            assertArrayEquals(toInt(theirs.getTypeIds()), mine.typeIds(), text);
        }
        for (String[] pair : PAIRS) {
            Encoding theirs = framed.encode(pair[0], pair[1]);
            WordPieceTokenizer.Encoding mine = ours.encodePair(pair[0], pair[1]);
            assertArrayEquals(toInt(theirs.getIds()), mine.ids(), Arrays.toString(pair));
            assertArrayEquals(toInt(theirs.getTypeIds()), mine.typeIds(), Arrays.toString(pair));
        }
    }

    @Test
    void decodeEqualsHuggingFace() {
        for (String text : SENTENCES) {
            int[] ids = ours.encodeSentence(text).ids();
            assertEquals(framed.decode(toLong(ids), false), ours.decode(ids), text);
        }
    }

    /** The SST-2 dev sentences: real text of the kind the fine-tuning will see. */
    @Test
    void idsEqualHuggingFaceOnSst2Dev() throws IOException {
        List<String> lines = Files.readAllLines(SharedData.file("sst2/dev.tsv"));
        List<String> sentences = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            sentences.add(line.substring(0, line.lastIndexOf('\t')));
        }
        for (String text : sentences) {
            assertArrayEquals(toInt(plain.encode(text).getIds()), ours.encode(text), text);
        }
        assertEquals(872, sentences.size());
    }

    @Test
    void jsonRoundTripGivesTheSameTokenizer() throws Exception {
        String json = ours.toJson();
        Tokenizer back = Tokenizer.fromJson(json);
        assertEquals(json, back.toJson());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(ours);
        }
        Object copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = in.readObject();
        }
        for (String text : SENTENCES) {
            assertArrayEquals(ours.encode(text), back.encode(text), text);
            assertArrayEquals(ours.encode(text), ((Tokenizer) copy).encode(text), text);
        }
        // Hugging Face reads what we write and agrees on the ids.
        Path file = Files.createTempFile("written-tokenizer", ".json");
        try {
            Files.writeString(file, json);
            try (HuggingFaceTokenizer reread = HuggingFaceTokenizer.builder().optTokenizerPath(file)
                    .optAddSpecialTokens(true).optTruncation(false).optPadding(false).build()) {
                for (String text : SENTENCES) {
                    assertArrayEquals(toInt(reread.encode(text).getIds()), ours.encodeSentence(text).ids(), text);
                }
            }
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void unsupportedNormalizerIsRefusedInOneLine() {
        String json = MiniLm.tokenizerJson().replaceFirst("\"BertNormalizer\"", "\"NFKC\"");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromJson(json));
        assertEquals("tokenizer JSON: a WordPiece tokenizer needs a BertNormalizer normalizer, got", e.getMessage()
                .substring(0, "tokenizer JSON: a WordPiece tokenizer needs a BertNormalizer normalizer, got".length()));
    }

    @Test
    void unpairedSurrogateIsRefused() {
        InputException e = assertThrows(InputException.class, () -> ours.encode("a\ud800b"));
        assertEquals("text has an unpaired UTF-16 surrogate U+D800 at index 1; only well-formed Unicode can be"
                + " encoded", e.getMessage());
    }

    private static int[] toInt(long[] ids) {
        return Arrays.stream(ids).mapToInt(Math::toIntExact).toArray();
    }

    private static long[] toLong(int[] ids) {
        return Arrays.stream(ids).asLongStream().toArray();
    }
}
