package io.sparkformer.data;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token shard files: raw little-endian token ids, 2 bytes each when the vocabulary fits (as
 * nanoGPT's train.bin), else 4. Executors load a shard whole, once per JVM, and keep it.
 */
public final class TokenShards {
    private static final Map<String, int[]> CACHE = new ConcurrentHashMap<>();

    private TokenShards() {
    }

    public static int bytesPerToken(int vocabSize) {
        return vocabSize <= 65536 ? 2 : 4;
    }

    public static void write(Path path, Configuration conf, int[] tokens, int bytesPerToken) {
        try {
            FileSystem fs = path.getFileSystem(conf);
            try (FSDataOutputStream raw = fs.create(path, false);
                 DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw, 1 << 16))) {
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
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write token shard " + path + ": " + e.getMessage(), e);
        }
    }

    /** The whole shard, cached per JVM by path (shards are immutable once the manifest exists). */
    public static int[] read(String path, Configuration conf, int bytesPerToken, long expectedTokens) {
        return CACHE.computeIfAbsent(path, p -> load(p, conf, bytesPerToken, expectedTokens));
    }

    private static int[] load(String path, Configuration conf, int bytesPerToken, long expectedTokens) {
        Path p = new Path(path);
        try (InputStream in = p.getFileSystem(conf).open(p)) {
            byte[] bytes = in.readAllBytes();
            if (bytes.length != expectedTokens * bytesPerToken) {
                throw new InputException("token shard " + path + " has " + bytes.length + " bytes, expected "
                        + expectedTokens * bytesPerToken + " (" + expectedTokens + " tokens): the data directory is corrupt");
            }
            ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int[] tokens = new int[Math.toIntExact(expectedTokens)];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = bytesPerToken == 2 ? Short.toUnsignedInt(buf.getShort()) : buf.getInt();
            }
            return tokens;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read token shard " + path + ": " + e.getMessage(), e);
        }
    }
}
