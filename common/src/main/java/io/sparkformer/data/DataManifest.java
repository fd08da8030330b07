package io.sparkformer.data;

import io.sparkformer.InputException;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What {@code prepare} wrote: the shards of the token stream in order, and where the stream is cut
 * into training and validation. Written last, so a data directory without it is incomplete.
 */
public record DataManifest(String format, String tokenizerSha256, int vocabSize, int bytesPerToken,
                           List<Shard> shards, long trainTokens, long valTokens) implements Serializable {
    public static final String FILE = "manifest.json";
    public static final String FORMAT = "sparkformer-tokens-1";
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * One shard file (a plain name inside the data directory), the corpus file it came from, its
     * token count and the SHA-256 of its bytes (null in data directories written before checksums).
     */
    public record Shard(String file, String source, long tokens, String sha256) implements Serializable {
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
            for (Shard shard : m.shards()) {
                // A shard is read relative to the data directory: a path could reach any file the job can read.
                if (shard.file() == null || !PLAIN_NAME.matcher(shard.file()).matches()) {
                    throw new InputException(origin + " names shard '" + shard.file()
                            + "', which is not a plain file name inside the data directory");
                }
                if (shard.tokens() < 0) {
                    throw new InputException(origin + " gives shard " + shard.file() + " " + shard.tokens() + " tokens");
                }
            }
            return m;
        } catch (IOException e) {
            throw new InputException(origin + " is not a valid data manifest: " + e.getMessage().split("\n")[0], e);
        }
    }
}
