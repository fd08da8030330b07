package io.sparkformer.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * What {@code prepare} wrote: the shards of the token stream in order, and where the stream is cut
 * into training and validation. Written last, so a data directory without it is incomplete.
 */
public record DataManifest(String format, String tokenizerSha256, int vocabSize, int bytesPerToken,
                           List<Shard> shards, long trainTokens, long valTokens) implements Serializable {
    public static final String FILE = "manifest.json";
    public static final String FORMAT = "sparkformer-tokens-1";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One shard file (relative to the data directory), the corpus file it came from, its token count. */
    public record Shard(String file, String source, long tokens) implements Serializable {
    }

    public long totalTokens() {
        return trainTokens + valTokens;
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static DataManifest fromJson(String json, String origin) {
        try {
            DataManifest m = JSON.readValue(json, DataManifest.class);
            if (!FORMAT.equals(m.format())) {
                throw new InputException(origin + " has format '" + m.format() + "', expected " + FORMAT);
            }
            return m;
        } catch (IOException e) {
            throw new InputException(origin + " is not a valid data manifest: " + e.getMessage().split("\n")[0], e);
        }
    }
}
