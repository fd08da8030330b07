package io.sparkformer.data;

import io.sparkformer.InputException;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Prepared data is verified before it is trained on: checksums, id ranges, confined shard names, retried writes. */
class TokenShardsTest {
    private static final int VOCAB = 300;   // above 256, so ids need both bytes of a 2-byte shard
    private static final int[] TOKENS = {0, 1, 299, 256, 7, 42, 42, 3};

    @TempDir
    java.nio.file.Path dir;
    private final Configuration conf = rawLocal();

    /** No .crc side files: HDFS-like, so the manifest's checksum is the only one that can catch a flipped byte. */
    private static Configuration rawLocal() {
        Configuration conf = new Configuration();
        conf.set("fs.file.impl", org.apache.hadoop.fs.RawLocalFileSystem.class.getName());
        conf.setBoolean("fs.file.impl.disable.cache", true);
        return conf;
    }

    private DataManifest manifest(String file, String sha256) {
        return new DataManifest(DataManifest.FORMAT, "tok", VOCAB, 2,
                List.of(new DataManifest.Shard(file, "corpus.txt", TOKENS.length, sha256)), TOKENS.length, 0);
    }

    private int[] readAll(DataManifest m) {
        ShardedTokenSource source = ShardedTokenSource.train(dir.toString(), m, new HadoopConf(conf));
        int[] out = new int[(int) source.size()];
        source.read(0, out, 0, out.length);
        return out;
    }

    private String writeShard(String name) {
        return TokenShards.write(new Path(dir.toString(), name), conf, TOKENS, 2, "attempt-0");
    }

    @Test
    void shardReadsBackWhenItsChecksumMatches() {
        String sha = writeShard("part-00000.tok");
        assertArrayEquals(TOKENS, readAll(manifest("part-00000.tok", sha)));
    }

    @Test
    void flippedByteIsCaughtByTheChecksum() throws Exception {
        String sha = writeShard("part-00000.tok");
        java.nio.file.Path shard = dir.resolve("part-00000.tok");
        byte[] bytes = Files.readAllBytes(shard);
        bytes[4] ^= 1;   // token 2: 299 -> 298, still inside the vocabulary
        Files.write(shard, bytes);

        InputException e = assertThrows(InputException.class, () -> readAll(manifest("part-00000.tok", sha)));

        assertEquals("token shard " + shard + " has SHA-256 " + sha256(bytes) + " but the manifest records " + sha
                + ": the data directory is corrupt", e.getMessage());
    }

    @Test
    void tokenIdOutsideTheVocabularyIsRefusedBeforeTraining() throws Exception {
        writeShard("part-00000.tok");
        java.nio.file.Path shard = dir.resolve("part-00000.tok");
        byte[] bytes = Files.readAllBytes(shard);
        bytes[7] = (byte) 0xFF;   // token 3: 256 -> 0xFF00 = 65280
        Files.write(shard, bytes);

        // A data directory from before shard checksums: only the range check stands between it and the model.
        InputException e = assertThrows(InputException.class, () -> readAll(manifest("part-00000.tok", null)));

        assertEquals("token shard " + shard + " holds token id 65280 at position 3, outside the vocabulary of "
                + VOCAB + " tokens: the data directory is corrupt", e.getMessage());
    }

    @Test
    void manifestNamingAShardOutsideTheDataDirectoryIsRefused() {
        for (String name : List.of("../secrets.tok", "/etc/passwd", "sub/part.tok", "..", "hdfs:x")) {
            String json = manifest(name, null).toJson();

            InputException e = assertThrows(InputException.class, () -> DataManifest.fromJson(json, "data/manifest.json"));

            assertEquals("data/manifest.json names shard '" + name
                    + "', which is not a plain file name inside the data directory", e.getMessage());
        }
    }

    @Test
    void retriedWriteReplacesItsOwnPartialOutputAndYieldsTheSameShard() throws Exception {
        java.nio.file.Path shard = dir.resolve("part-00001.tok");
        // A first attempt died mid-write, leaving its partial file.
        Files.write(dir.resolve(".part-00001.tok.attempt-7.partial"), new byte[] {1, 2, 3});

        String first = TokenShards.write(new Path(shard.toString()), conf, TOKENS, 2, "attempt-7");
        byte[] written = Files.readAllBytes(shard);
        // A speculative attempt finishes after the first one: same bytes, nothing left behind.
        String second = TokenShards.write(new Path(shard.toString()), conf, TOKENS, 2, "attempt-8");

        assertEquals(first, second);
        assertArrayEquals(written, Files.readAllBytes(shard));
        assertEquals(sha256(written), first);
        try (var files = Files.list(dir)) {
            assertFalse(files.anyMatch(f -> f.getFileName().toString().endsWith(".partial")), "partial files left");
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
