package io.sparkformer.tokenize;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Maps text to token ids and back. Implementations are immutable and thread-safe, so one instance
 * can be broadcast to Spark executors and shared by their task threads. Their Java serialized form
 * is their {@link #toJson() tokenizer.json}, so what travels to executors is exactly what is
 * stored beside a checkpoint.
 */
public interface Tokenizer extends Serializable {

    /**
     * Token ids of {@code text}; for {@code char} and {@code bpe}, {@code decode(encode(text))} gives
     * {@code text} back exactly ({@code wordpiece} normalizes, see {@link WordPieceTokenizer}).
     */
    int[] encode(String text);

    /** The text the ids stand for; rejects ids outside {@code [0, vocabSize())}. */
    String decode(int[] ids);

    /** Number of distinct ids; the model's embedding and output layers have this many rows. */
    int vocabSize();

    /** {@code "char"}, {@code "bpe"} or {@code "wordpiece"}. */
    String type();

    /** The Hugging Face {@code tokenizer.json} form; the same tokenizer always gives the same text. */
    String toJson();

    /**
     * Reads a {@code tokenizer.json} written by {@link #toJson()} (or by Hugging Face {@code
     * tokenizers}, where it uses only what we implement).
     *
     * @throws IllegalArgumentException with a one-line message saying what is wrong
     */
    static Tokenizer fromJson(String json) {
        return TokenizerJson.read(json);
    }

    /**
     * Hex SHA-256 of {@link #toJson()} as UTF-8: stored with checkpoints and shards so that a run
     * can refuse data encoded by a different tokenizer.
     */
    default String sha256() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(toJson().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
    }
}
