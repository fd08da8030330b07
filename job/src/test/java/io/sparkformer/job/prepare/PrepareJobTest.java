package io.sparkformer.job.prepare;

import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.DataManifest;
import io.sparkformer.data.HadoopConf;
import io.sparkformer.data.ShardedTokenSource;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.job.LogLines;
import io.sparkformer.job.Main;
import io.sparkformer.job.spark.SparkContexts;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code prepare} on real files: the shards are the tokens, and bad input is named and leaves nothing. */
class PrepareJobTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        System.setProperty("spark.master", "local[2]");
        System.setProperty("spark.ui.enabled", "false");
    }

    @AfterAll
    static void stop() {
        System.clearProperty("spark.master");
    }

    private static SparkformerConfig config(String... overrides) {
        List<String> all = new java.util.ArrayList<>(List.of("model.contextLength=8"));
        all.addAll(List.of(overrides));
        return ConfigLoader.defaults(all);
    }

    @Test
    void shardsHoldTheTokenStreamOfTheFilesInPathOrderSplitNinetyTen() throws Exception {
        Files.createDirectories(dir.resolve("corpus/sub"));
        String a = "To be, or not to be: that is the question.\n".repeat(20);
        String b = "Whether 'tis nobler in the mind to suffer\n".repeat(20);
        Files.writeString(dir.resolve("corpus/b.txt"), b);
        Files.writeString(dir.resolve("corpus/sub/a.txt"), a);
        Files.writeString(dir.resolve("corpus/_SUCCESS"), "");
        String out = dir.resolve("data").toString();
        try (JavaSparkContext sc = SparkContexts.create("prepare-test")) {
            checkShards(sc, a, b, out);
        }
    }

    private void checkShards(JavaSparkContext sc, String a, String b, String out) throws Exception {
        DataManifest m = PrepareJob.run(sc, config(), dir.resolve("corpus").toString(), out);

        Tokenizer tok = Tokenizer.fromJson(Files.readString(dir.resolve("data/tokenizer.json")));
        int[] expected = tok.encode(b + a);     // ".../b.txt" sorts before ".../sub/a.txt"
        assertEquals(expected.length, m.totalTokens());
        assertEquals(expected.length / 10, m.valTokens());
        HadoopConf conf = new HadoopConf(sc.hadoopConfiguration());
        ShardedTokenSource train = ShardedTokenSource.train(out, m, conf);
        ShardedTokenSource val = ShardedTokenSource.validation(out, m, conf);
        int[] all = new int[expected.length];
        train.read(0, all, 0, (int) train.size());
        val.read(0, all, (int) train.size(), (int) val.size());
        assertArrayEquals(expected, all, "train + validation, across the shard boundary, is the corpus");
        assertEquals(2, m.shards().size());
    }

    private static Object[] cli(String... args) {
        io.sparkformer.job.Cli.Result r = io.sparkformer.job.Cli.run(args);
        return new Object[] {r.code(), r.err()};
    }

    private void assertRejected(String corpus, String message) {
        String out = dir.resolve("out").toString();
        Object[] r;
        try (LogLines spark = new LogLines("org.apache.spark")) {
            r = cli("prepare", "--set", "model.contextLength=8", "--corpus", corpus, "--out", out);
            // Caught on the driver before any task: no executor logs a failed task with its stack trace.
            assertTrue(spark.lines().stream().noneMatch(l -> l.startsWith("ERROR") || l.contains(" task ")
                    || l.contains(" stage ")), "Spark logged: " + spark.lines());
        }
        assertEquals(2, r[0], "exit code for: " + r[1]);
        assertTrue(((String) r[1]).contains(message), "stderr names the problem: " + r[1]);
        assertFalse(Files.exists(dir.resolve("out")), "nothing is left looking complete");
    }

    @Test
    void aWordPieceTokenizerIsNeverFitted() throws Exception {
        Path text = dir.resolve("words.txt");
        Files.writeString(text, "to be, or not to be: that is the question.\n".repeat(20));
        Object[] r = cli("prepare", "--set", "model.contextLength=8", "--set", "tokenizer.type=wordpiece",
                "--corpus", text.toString(), "--out", dir.resolve("wp").toString());
        assertEquals(2, r[0], "exit code for: " + r[1]);
        assertTrue(((String) r[1]).contains("tokenizer.type = wordpiece cannot be fitted on a corpus: it comes with an"
                + " imported BERT (sparkformer import); use bpe or char"), (String) r[1]);
    }

    @Test
    void nonUtf8CorpusIsRejectedNamingTheFile() throws Exception {
        Path bad = dir.resolve("latin1.txt");
        Files.write(bad, "caf\u00e9 au lait, encore du caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        assertRejected(bad.toString(), "latin1.txt is not valid UTF-8 (near byte offset 3)");
    }

    @Test
    void binaryCorpusIsRejected() throws Exception {
        Path bin = dir.resolve("model.bin");
        Files.write(bin, new byte[] {1, 2, 0, 4, 5});
        assertRejected(bin.toString(), "model.bin looks binary (NUL byte at offset 2)");
    }

    @Test
    void emptyCorpusIsRejected() throws Exception {
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "");
        assertRejected(empty.toString(), "is empty");
    }

    @Test
    void corpusShorterThanOneWindowIsRejected() throws Exception {
        Path tiny = dir.resolve("tiny.txt");
        Files.writeString(tiny, "abcdef");
        assertRejected(tiny.toString(), "fewer than one window of model.contextLength + 1 = 9");
    }

    @Test
    void globMatchingNothingIsRejected() {
        assertRejected(dir.resolve("nothing-*.txt").toString(), "matches no file");
    }

    @Test
    void missingCorpusIsRejected() {
        assertRejected(dir.resolve("absent.txt").toString(), "absent.txt does not exist");
    }

    @Test
    void trainingOnAShardReplacedAfterPrepareIsABadInputNamingTheShard() throws Exception {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, "To be, or not to be: that is the question.\n".repeat(40));
        String data = dir.resolve("data").toString();
        Object[] prepared = cli("prepare", "--set", "model.contextLength=8", "--corpus", corpus.toString(), "--out", data);
        assertEquals(0, prepared[0], (String) prepared[1]);
        // Another tool rewrites the shard (one id swapped for another valid one) without a Hadoop checksum.
        Path shard = dir.resolve("data/part-00000.tok");
        byte[] bytes = Files.readAllBytes(shard);
        bytes[0] = bytes[2];
        bytes[1] = bytes[3];
        Files.write(shard, bytes);
        Files.deleteIfExists(dir.resolve("data/.part-00000.tok.crc"));

        Object[] r = cli("train", "--config", "../conf/gpt-tiny.conf", "--corpus", data, "--out",
                dir.resolve("run").toString(), "--set", "model.contextLength=8", "--set", "train.steps=2");

        assertEquals(2, r[0], "exit code for: " + r[1]);
        String err = ((String) r[1]).strip();
        assertTrue(err.matches("sparkformer train: error: token shard \\S*part-00000.tok has SHA-256 [0-9a-f]{64} but the "
                + "manifest records [0-9a-f]{64}: the data directory is corrupt"), err);
    }
}
