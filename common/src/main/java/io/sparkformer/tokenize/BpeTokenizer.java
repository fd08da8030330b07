package io.sparkformer.tokenize;

import io.sparkformer.InputException;

import java.io.ByteArrayOutputStream;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectStreamException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE as in GPT-2: the text is split into chunks by {@link #preTokenize}, each chunk's
 * UTF-8 bytes become byte tokens, and merges are applied lowest rank first. Any string round-trips
 * exactly because every byte has a token. Special tokens ({@code [PAD]}, {@code <|endoftext|>},
 * ...) take the ids after the vocabulary; {@link #encode} never produces them from text, code adds
 * them with {@link #specialId}.
 *
 * <p>Ids: the model vocabulary {@code tokens} holds byte-level strings (see {@code ByteLevel}).
 * One trained here starts with the 256 byte symbols in byte order (ids 0..255) followed by the
 * merge results in the order learned; one read from a Hugging Face file may order them otherwise.
 */
public final class BpeTokenizer implements Tokenizer {

    private static final long serialVersionUID = 1L;

    /**
     * GPT-2's pre-tokenizer (the one Hugging Face's ByteLevel uses): contractions, letter runs,
     * digit runs and other runs, each with at most one leading space, then whitespace, leaving the
     * last space of a run to start the next word. Unicode {@code \s} as in GPT-2's Python original.
     */
    private static final Pattern SPLIT =
            Pattern.compile(
                    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
                    Pattern.UNICODE_CHARACTER_CLASS);

    /** Corpora repeat words, so encoded chunks are cached; past this many the cache starts over. */
    private static final int CACHE_ENTRIES = 1 << 16;

    /** Longer chunks (long whitespace or symbol runs) are rare and would bloat the cache. */
    private static final int CACHE_MAX_CHUNK = 64;

    // The serialized form is the tokenizer.json (see writeReplace), so none of these fields is
    // written by Java serialization.
    private final String[] tokens;
    private final int[] mergeLeft;
    private final int[] mergeRight;
    private final String[] specials;

    private final int[] byteIds = new int[256];
    private final int[] mergeResult;
    private final Map<Long, Integer> mergeRanks;
    private final byte[][] tokenBytes;
    private final Map<String, Integer> specialIds = new HashMap<>();
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param tokens the model vocabulary in id order, byte-level strings including the 256 symbols
     * @param merges in rank order, each {left id, right id}; the result is the token spelled by the
     *     two concatenated, which must be in {@code tokens}
     * @param specials special tokens, taking ids {@code tokens.size()} onwards
     */
    BpeTokenizer(List<String> tokens, List<int[]> merges, List<String> specials) {
        this.tokens = tokens.toArray(String[]::new);
        this.specials = specials.toArray(String[]::new);
        Map<String, Integer> ids = new HashMap<>();
        for (int id = 0; id < this.tokens.length; id++) {
            String token = this.tokens[id];
            if (token.isEmpty() || !ByteLevel.isByteLevel(token)) {
                throw invalid("vocabulary token '%s' (id %d) is not a byte-level string", token, id);
            }
            Integer previous = ids.putIfAbsent(token, id);
            if (previous != null) {
                throw invalid("token '%s' appears twice in the vocabulary (ids %d and %d)", token, previous, id);
            }
        }
        for (int b = 0; b < 256; b++) {
            Integer id = ids.get(String.valueOf(ByteLevel.symbol(b)));
            if (id == null) {
                throw invalid("the vocabulary lacks the symbol '%c' for byte 0x%02X", ByteLevel.symbol(b), b);
            }
            byteIds[b] = id;
        }

        int count = merges.size();
        mergeLeft = new int[count];
        mergeRight = new int[count];
        mergeResult = new int[count];
        mergeRanks = new HashMap<>(count * 2);
        for (int rank = 0; rank < count; rank++) {
            int left = merges.get(rank)[0];
            int right = merges.get(rank)[1];
            if (left < 0 || left >= this.tokens.length || right < 0 || right >= this.tokens.length) {
                throw invalid("merge %d refers to an id outside the vocabulary: %d %d", rank, left, right);
            }
            String text = this.tokens[left] + " " + this.tokens[right];
            Integer result = ids.get(this.tokens[left] + this.tokens[right]);
            if (result == null) {
                throw invalid("merge '%s' (rank %d) makes a token that is not in the vocabulary", text, rank);
            }
            Integer previous = mergeRanks.putIfAbsent(pairKey(left, right), rank);
            if (previous != null) {
                throw invalid("merge '%s' appears twice (ranks %d and %d)", text, previous, rank);
            }
            mergeLeft[rank] = left;
            mergeRight[rank] = right;
            mergeResult[rank] = result;
        }

        tokenBytes = new byte[this.tokens.length][];
        for (int id = 0; id < this.tokens.length; id++) {
            tokenBytes[id] = ByteLevel.bytes(this.tokens[id]);
        }
        for (int i = 0; i < this.specials.length; i++) {
            String special = this.specials[i];
            if (special.isEmpty()) {
                throw invalid("a special token must not be empty");
            }
            if (ids.containsKey(special)) {
                throw invalid("special token '%s' is also a vocabulary token (id %d)", special, ids.get(special));
            }
            if (specialIds.putIfAbsent(special, this.tokens.length + i) != null) {
                throw invalid("special token '%s' appears twice", special);
            }
        }
    }

    private static InputException invalid(String format, Object... args) {
        return new InputException(String.format(format, args));
    }

    /**
     * Splits text into the chunks that BPE merges never cross (GPT-2's regex). Concatenating the
     * chunks gives {@code text} back. Public so that a Spark job can count chunks on executors and
     * hand the counts to {@link BpeTrainer#train(Map, int)}.
     */
    public static List<String> preTokenize(String text) {
        List<String> chunks = new ArrayList<>();
        Matcher matcher = SPLIT.matcher(text);
        while (matcher.find()) {
            chunks.add(matcher.group());
        }
        return chunks;
    }

    /** This tokenizer with {@code tokens} appended to its special tokens. */
    public BpeTokenizer withSpecialTokens(List<String> tokens) {
        List<String> all = new ArrayList<>(Arrays.asList(specials));
        all.addAll(tokens);
        return new BpeTokenizer(Arrays.asList(this.tokens), merges(), all);
    }

    /** The id of a special token. */
    public int specialId(String token) {
        Integer id = specialIds.get(token);
        if (id == null) {
            throw new IllegalArgumentException(
                    "'" + token + "' is not a special token of this tokenizer; it has "
                            + Arrays.toString(specials));
        }
        return id;
    }

    /** Special tokens in id order. */
    public List<String> specialTokens() {
        return List.of(specials);
    }

    /** How many merges were learned; the vocabulary without specials is the bytes plus these. */
    public int mergeCount() {
        return mergeLeft.length;
    }

    /**
     * @throws io.sparkformer.InputException if {@code text} has an unpaired UTF-16 surrogate, which has
     *     no UTF-8 form and so could not round-trip
     */
    @Override
    public int[] encode(String text) {
        ByteLevel.requireWellFormed(text);
        int[] ids = new int[Math.max(16, text.length() / 2)];
        int size = 0;
        Matcher matcher = SPLIT.matcher(text);
        while (matcher.find()) {
            int[] chunkIds = encodeChunk(matcher.group());
            if (size + chunkIds.length > ids.length) {
                ids = Arrays.copyOf(ids, Math.max(ids.length * 2, size + chunkIds.length));
            }
            System.arraycopy(chunkIds, 0, ids, size, chunkIds.length);
            size += chunkIds.length;
        }
        return Arrays.copyOf(ids, size);
    }

    /** Callers must not modify the returned array: it may be shared through the cache. */
    private int[] encodeChunk(String chunk) {
        if (chunk.length() > CACHE_MAX_CHUNK) {
            return applyMerges(chunk);
        }
        int[] ids = cache.get(chunk);
        if (ids == null) {
            ids = applyMerges(chunk);
            if (cache.size() >= CACHE_ENTRIES) {
                // Clearing beats LRU bookkeeping here: a refill costs one pass over frequent words.
                cache.clear();
            }
            cache.put(chunk, ids);
        }
        return ids;
    }

    /** GPT-2's bpe(): repeatedly merge every occurrence of the lowest-ranked adjacent pair. */
    private int[] applyMerges(String chunk) {
        byte[] bytes = chunk.getBytes(StandardCharsets.UTF_8);
        int[] symbols = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            symbols[i] = byteIds[bytes[i] & 0xFF];
        }
        int length = symbols.length;
        while (length > 1) {
            int best = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < length; i++) {
                Integer rank = mergeRanks.get(pairKey(symbols[i], symbols[i + 1]));
                if (rank != null && rank < best) {
                    best = rank;
                }
            }
            if (best == Integer.MAX_VALUE) {
                break;
            }
            length = mergePair(symbols, length, mergeLeft[best], mergeRight[best], mergeResult[best]);
        }
        return Arrays.copyOf(symbols, length);
    }

    /**
     * Replaces, left to right and without overlap, each {@code left right} in the first {@code
     * length} symbols by {@code merged}, in place; returns the new length. Training uses the same
     * rule, so a word encodes as it was merged during training.
     */
    static int mergePair(int[] symbols, int length, int left, int right, int merged) {
        int write = 0;
        for (int read = 0; read < length; ) {
            if (read + 1 < length && symbols[read] == left && symbols[read + 1] == right) {
                symbols[write++] = merged;
                read += 2;
            } else {
                symbols[write++] = symbols[read++];
            }
        }
        return write;
    }

    /** Invalid UTF-8 (a sequence cut inside a character) decodes to U+FFFD, as in Hugging Face. */
    @Override
    public String decode(int[] ids) {
        StringBuilder text = new StringBuilder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 0 || id >= vocabSize()) {
                throw new IllegalArgumentException(
                        "token id " + id + " is outside the vocabulary [0, " + vocabSize() + ")");
            }
            if (id < tokens.length) {
                bytes.writeBytes(tokenBytes[id]);
            } else {
                text.append(bytes.toString(StandardCharsets.UTF_8));
                bytes.reset();
                text.append(specials[id - tokens.length]);
            }
        }
        return text.append(bytes.toString(StandardCharsets.UTF_8)).toString();
    }

    @Override
    public int vocabSize() {
        return tokens.length + specials.length;
    }

    @Override
    public String type() {
        return "bpe";
    }

    @Override
    public String toJson() {
        return TokenizerJson.writeBpe(this);
    }

    /** The model vocabulary (without specials) in id order. */
    List<String> tokens() {
        return List.of(tokens);
    }

    /** Merges in rank order as {left id, right id}. */
    List<int[]> merges() {
        List<int[]> merges = new ArrayList<>(mergeLeft.length);
        for (int rank = 0; rank < mergeLeft.length; rank++) {
            merges.add(new int[] {mergeLeft[rank], mergeRight[rank]});
        }
        return merges;
    }

    static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    @Override
    public String toString() {
        return "BpeTokenizer(" + mergeLeft.length + " merges, " + specials.length + " special tokens)";
    }

    private Object writeReplace() throws ObjectStreamException {
        return new TokenizerJson.SerializedForm(toJson());
    }

    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("BpeTokenizer is serialized through its tokenizer.json");
    }
}
