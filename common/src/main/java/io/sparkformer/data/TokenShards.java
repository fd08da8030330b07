package io.sparkformer.data;

import io.sparkformer.InputException;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token shard files: raw little-endian token ids, 2 bytes each when the vocabulary fits (as
 * nanoGPT's train.bin), else 4. Executors load a shard whole, once per JVM, and keep it; a shard is
 * checked against the SHA-256 its manifest records, and every id against the vocabulary, before any
 * of it reaches the native embedding lookup.
 */
public final class TokenShards {
    private static final Map<String, int[]> CACHE = new ConcurrentHashMap<>();

    private TokenShards() {
    }

    public static int bytesPerToken(int vocabSize) {
        return vocabSize <= 65536 ? 2 : 4;
    }

    /**
     * Writes {@code tokens} to {@code path} and returns the SHA-256 of the bytes. The file is written
     * under a name of its own for {@code attempt} and renamed into place, so a retried or
     * speculative task never trips over (or interleaves with) another attempt's output; the content
     * is a function of the input, so whichever attempt's rename wins, the shard is the same.
     */
    public static String write(Path path, Configuration conf, int[] tokens, int bytesPerToken, String attempt) {
        Path partial = new Path(path.getParent(), "." + path.getName() + "." + attempt + ".partial");
        try {
            FileSystem fs = path.getFileSystem(conf);
            MessageDigest sha = sha256();
            try (FSDataOutputStream raw = fs.create(partial, true);
                 OutputStream out = new DigestOutputStream(new BufferedOutputStream(raw, 1 << 16), sha)) {
                ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (int t : tokens) {
                    if (buf.remaining() < 4) {
                        out.write(buf.array(), 0, buf.position());
                        buf.clear();
                    }
                    if (bytesPerToken == 2) {
                        buf.putShort((short) t);
                    } else {
                        buf.putInt(t);
                    }
                }
                out.write(buf.array(), 0, buf.position());
            }
            if (!fs.rename(partial, path)) {
                if (!fs.exists(path)) {
                    throw new IOException("rename " + partial + " -> " + path + " failed");
                }
                fs.delete(partial, false);   // another attempt finished first, with the same bytes
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write token shard " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * The whole shard, cached per JVM by path (shards are immutable once the manifest exists).
     * {@code sha256} may be null for data directories written before shards had checksums.
     */
    public static int[] read(String path, Configuration conf, int bytesPerToken, long expectedTokens, String sha256,
                             int vocabSize) {
        return CACHE.computeIfAbsent(path, p -> load(p, conf, bytesPerToken, expectedTokens, sha256, vocabSize));
    }

    private static int[] load(String path, Configuration conf, int bytesPerToken, long expectedTokens, String sha256,
                              int vocabSize) {
        Path p = new Path(path);
        byte[] bytes;
        try (InputStream in = p.getFileSystem(conf).open(p)) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read token shard " + path + ": " + e.getMessage(), e);
        }
        if (bytes.length != expectedTokens * bytesPerToken) {
            throw new InputException("token shard " + path + " has " + bytes.length + " bytes, expected "
                    + expectedTokens * bytesPerToken + " (" + expectedTokens + " tokens): the data directory is corrupt");
        }
        if (sha256 != null) {
            String actual = HexFormat.of().formatHex(sha256().digest(bytes));
            if (!actual.equals(sha256)) {
                throw new InputException("token shard " + path + " has SHA-256 " + actual + " but the manifest records "
                        + sha256 + ": the data directory is corrupt");
            }
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int[] tokens = new int[Math.toIntExact(expectedTokens)];
        for (int i = 0; i < tokens.length; i++) {
            int id = bytesPerToken == 2 ? Short.toUnsignedInt(buf.getShort()) : buf.getInt();
            if (id < 0 || id >= vocabSize) {
                throw new InputException("token shard " + path + " holds token id " + Integer.toUnsignedString(id)
                        + " at position " + i + ", outside the vocabulary of " + vocabSize
                        + " tokens: the data directory is corrupt");
            }
            tokens[i] = id;
        }
        return tokens;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
    }
}
