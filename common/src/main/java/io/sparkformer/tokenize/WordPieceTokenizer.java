package io.sparkformer.tokenize;

import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectStreamException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BERT's WordPiece as Hugging Face {@code tokenizers} runs it from a {@code tokenizer.json}: the
 * special tokens are cut out of the raw text first (so a literal {@code [MASK]} is the mask
 * token), the rest goes through {@link BertNormalizer} and {@link BertPreTokenizer}, and each word
 * is matched greedily, longest vocabulary entry first, later pieces carrying the {@code ##}
 * prefix. A word longer than {@code maxInputCharsPerWord} code points, or one with a part no entry
 * matches, becomes the single unknown token.
 *
 * <p>Unlike the byte-level BPE, this tokenizer loses information (case, accents, spacing, unknown
 * characters), so {@link #decode} gives Hugging Face's decoding, not the original text. Its vocabulary
 * comes from a pretrained model; {@code prepare} never fits one.
 */
public final class WordPieceTokenizer implements Tokenizer {

    private static final long serialVersionUID = 1L;

    /** Hugging Face's default: longer words are not worth matching and become the unknown token. */
    public static final int DEFAULT_MAX_INPUT_CHARS_PER_WORD = 100;

    /** Input ids and segment (token type) ids of a framed sequence, one of each per position. */
    public record Encoding(int[] ids, int[] typeIds) {}

    private final String[] tokens;
    private final Map<String, Integer> ids;
    private final int unkId;
    private final String prefix;
    private final int maxInputCharsPerWord;
    private final BertNormalizer normalizer;
    private final int[] specialIds;
    /** Special token strings longest first, so the first that matches is the longest (HF's rule). */
    private final String[] specialsLongestFirst;
    private final WordPieceTemplate template;

    /**
     * @param tokens the vocabulary in id order
     * @param specials the special tokens (each in {@code tokens}), matched in raw text
     */
    WordPieceTokenizer(List<String> tokens, String unkToken, String prefix, int maxInputCharsPerWord,
            BertNormalizer normalizer, List<String> specials, WordPieceTemplate template) {
        this.tokens = tokens.toArray(String[]::new);
        this.ids = new HashMap<>(tokens.size() * 2);
        for (int id = 0; id < this.tokens.length; id++) {
            Integer previous = ids.putIfAbsent(this.tokens[id], id);
            if (previous != null) {
                throw new IllegalArgumentException("token '" + this.tokens[id] + "' appears twice in the vocabulary"
                        + " (ids " + previous + " and " + id + ")");
            }
        }
        this.unkId = idOf(unkToken, "unk_token");
        if (prefix.isEmpty()) {
            throw new IllegalArgumentException("continuing_subword_prefix must not be empty");
        }
        this.prefix = prefix;
        if (maxInputCharsPerWord < 1) {
            throw new IllegalArgumentException("max_input_chars_per_word must be >= 1, got " + maxInputCharsPerWord);
        }
        this.maxInputCharsPerWord = maxInputCharsPerWord;
        this.normalizer = normalizer;
        this.specialIds = new int[specials.size()];
        for (int i = 0; i < specials.size(); i++) {
            if (specials.get(i).isEmpty()) {
                throw new IllegalArgumentException("a special token must not be empty");
            }
            specialIds[i] = idOf(specials.get(i), "special token");
        }
        this.specialsLongestFirst = specials.stream()
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toArray(String[]::new);
        for (int id : template.specialIds()) {
            if (id < 0 || id >= this.tokens.length) {
                throw new IllegalArgumentException("post_processor token id " + id + " is outside the vocabulary");
            }
        }
        this.template = template;
    }

    private int idOf(String token, String what) {
        Integer id = ids.get(token);
        if (id == null) {
            throw new IllegalArgumentException(what + " '" + token + "' is not in the vocabulary");
        }
        return id;
    }

    /**
     * Word-piece ids of {@code text} without [CLS]/[SEP]; {@link #encodeSentence} and {@link
     * #encodePair} add them.
     *
     * @throws io.sparkformer.InputException if {@code text} has an unpaired UTF-16 surrogate (Hugging
     *     Face only takes well-formed Unicode)
     */
    @Override
    public int[] encode(String text) {
        ByteLevel.requireWellFormed(text);
        List<Integer> out = new ArrayList<>();
        int start = 0;
        int at = 0;
        while (at < text.length()) {
            String special = specialAt(text, at);
            if (special == null) {
                at++;
                continue;
            }
            encodeText(text.substring(start, at), out);
            out.add(ids.get(special));
            at += special.length();
            start = at;
        }
        encodeText(text.substring(start), out);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The longest special token starting at {@code at}, or null. */
    private String specialAt(String text, int at) {
        for (String special : specialsLongestFirst) {
            if (text.startsWith(special, at)) {
                return special;
            }
        }
        return null;
    }

    private void encodeText(String text, List<Integer> out) {
        if (text.isEmpty()) {
            return;
        }
        for (String word : BertPreTokenizer.split(normalizer.normalize(text))) {
            encodeWord(word, out);
        }
    }

    /** Greedy longest match first; any unmatched rest makes the whole word one unknown token. */
    private void encodeWord(String word, List<Integer> out) {
        if (word.codePointCount(0, word.length()) > maxInputCharsPerWord) {
            out.add(unkId);
            return;
        }
        int mark = out.size();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer match = null;
            while (end > start) {
                String piece = word.substring(start, end);
                match = ids.get(start > 0 ? prefix + piece : piece);
                if (match != null) {
                    break;
                }
                end = word.offsetByCodePoints(end, -1);
            }
            if (match == null) {
                out.subList(mark, out.size()).clear();
                out.add(unkId);
                return;
            }
            out.add(match);
            start = end;
        }
    }

    /** [CLS] text [SEP] (or whatever single-sequence template the file has), all of segment 0. */
    public Encoding encodeSentence(String text) {
        return template.single(encode(text));
    }

    /** [CLS] first [SEP] second [SEP] with the pair template's segment ids (0 then 1 for BERT). */
    public Encoding encodePair(String first, String second) {
        return template.pair(encode(first), encode(second));
    }

    /**
     * Hugging Face's WordPiece decoder: tokens joined by spaces, a {@code ##} piece glued to the
     * one before, and its cleanup of spaces before punctuation and in English contractions.
     */
    @Override
    public String decode(int[] ids) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id < 0 || id >= tokens.length) {
                throw new IllegalArgumentException(
                        "token id " + id + " is outside the vocabulary [0, " + tokens.length + ")");
            }
            String token = tokens[id];
            if (i > 0) {
                token = token.startsWith(prefix) ? token.substring(prefix.length()) : " " + token;
            }
            text.append(cleanup(token));
        }
        return text.toString();
    }

    private static String cleanup(String token) {
        return token.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" do not", " don't")
                .replace(" 's", "'s").replace(" 've", "'ve").replace(" 're", "'re");
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    @Override
    public String type() {
        return "wordpiece";
    }

    @Override
    public String toJson() {
        return WordPieceJson.write(this);
    }

    /** The id of a token of the vocabulary, e.g. {@code [MASK]}. */
    public int id(String token) {
        return idOf(token, "token");
    }

    /** The id of {@code token}, or -1 when the vocabulary lacks it. */
    public int idOrMinusOne(String token) {
        Integer id = ids.get(token);
        return id == null ? -1 : id;
    }

    public String token(int id) {
        return tokens[id];
    }

    public int unkId() {
        return unkId;
    }

    /** Whether {@code id} is one of the file's special tokens ([PAD], [CLS], [SEP], [MASK], [UNK], ...). */
    public boolean isSpecial(int id) {
        for (int special : specialIds) {
            if (special == id) {
                return true;
            }
        }
        return false;
    }

    List<String> tokens() {
        return List.of(tokens);
    }

    String unkToken() {
        return tokens[unkId];
    }

    String prefix() {
        return prefix;
    }

    int maxInputCharsPerWord() {
        return maxInputCharsPerWord;
    }

    BertNormalizer normalizer() {
        return normalizer;
    }

    /** Special tokens in id order. */
    List<String> specialTokens() {
        return Arrays.stream(specialIds).sorted().mapToObj(id -> tokens[id]).toList();
    }

    WordPieceTemplate template() {
        return template;
    }

    @Override
    public String toString() {
        return "WordPieceTokenizer(" + tokens.length + " tokens, " + normalizer + ")";
    }

    private Object writeReplace() throws ObjectStreamException {
        return new TokenizerJson.SerializedForm(toJson());
    }

    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("WordPieceTokenizer is serialized through its tokenizer.json");
    }
}
