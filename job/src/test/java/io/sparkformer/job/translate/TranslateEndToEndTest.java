package io.sparkformer.job.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.data.ParallelCorpus;
import io.sparkformer.job.Main;
import io.sparkformer.metrics.Bleu;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seq2seq family through the command line on local Spark: train on a parallel corpus (two
 * files, or a TSV), translate from a file and from stdin, evaluate BLEU/loss/perplexity, resume,
 * and refuse a misaligned corpus. The toy language maps five German number words to English ones
 * word by word; 200 steps of the tiny model (64 wide) learn it, so translations of sentences it has not seen
 * and their BLEU are checked exactly.
 */
class TranslateEndToEndTest {
    private static final String[] GERMAN = {"eins", "zwei", "drei", "vier", "fünf"};
    private static final String[] ENGLISH = {"one", "two", "three", "four", "five"};
    /**
     * Overrides that make the tiny config learn the toy language in about 20 s on two cores: 64
     * wide with 4 heads, batch 32, a 20-step warmup to 5e-3 (a 5-step warmup or 2 heads often stays
     * stuck without the alignment for 200 steps).
     */
    private static final String[] LEARN = {"--set", "train.steps=200", "--set", "model.embedDim=64",
            "--set", "model.heads=4", "--set", "train.batchSize=32", "--set", "train.learningRate=5e-3",
            "--set", "train.warmupSteps=20", "--set", "spark.averagingFrequency=25", "--set", "train.evalEvery=50",
            "--set", "train.checkpointEvery=50"};
    @TempDir
    static Path dir;
    private static String de;
    private static String en;
    private static String tsv;
    private static String testDe;
    private static String testEn;
    private static String out;

    /** {German, English} texts of {@code n} random sentences of 2-4 distinct number words. */
    private static String[] sentences(int n, long seed) {
        Random r = new Random(seed);
        StringBuilder src = new StringBuilder();
        StringBuilder tgt = new StringBuilder();
        for (int i = 0; i < n; i++) {
            List<String> s = new ArrayList<>();
            List<String> t = new ArrayList<>();
            int words = 2 + r.nextInt(3);
            while (s.size() < words) {
                int w = r.nextInt(GERMAN.length);
                if (!s.contains(GERMAN[w])) {
                    s.add(GERMAN[w]);
                    t.add(ENGLISH[w]);
                }
            }
            src.append(String.join(" ", s)).append('\n');
            tgt.append(String.join(" ", t)).append('\n');
        }
        return new String[] {src.toString(), tgt.toString()};
    }

    @BeforeAll
    static void setUp() throws Exception {
        System.setProperty("spark.master", "local[2]");
        System.setProperty("spark.ui.enabled", "false");
        String[] train = sentences(200, 1);
        de = write("train.de", train[0]);
        en = write("train.en", train[1]);
        List<String> s = ParallelCorpus.lines(train[0]);
        List<String> t = ParallelCorpus.lines(train[1]);
        StringBuilder pairs = new StringBuilder();
        for (int i = 0; i < s.size(); i++) {
            pairs.append(s.get(i)).append('\t').append(t.get(i)).append('\n');
        }
        tsv = write("train.tsv", pairs.toString());
        String[] test = sentences(40, 2);
        testDe = write("test.de", test[0]);
        testEn = write("test.en", test[1]);
        out = dir.resolve("run").toString();
        List<String> args = new ArrayList<>(List.of("train", "--config", "../conf/seq2seq-tiny.conf", "--source", de,
                "--target", en, "--out", out));
        args.addAll(List.of(LEARN));
        Object[] r0 = cli(null, args.toArray(String[]::new));
        assertEquals(0, r0[0], (String) r0[2]);
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("spark.master");
    }

    private static String write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p.toString();
    }

    /** {exit code, stdout, stderr}. */
    private static Object[] cli(String stdin, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        InputStream oldIn = System.in;
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        if (stdin != null) {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        }
        try {
            int code = Main.execute(args);
            return new Object[] {code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            System.setIn(oldIn);
        }
    }

    @Test
    void trainingWritesTheRunDirectoryAndLearns() throws Exception {
        assertTrue(Files.exists(Path.of(out, "config.conf")));
        assertTrue(Files.exists(Path.of(out, "tokenizer.json")));
        assertEquals("step-000200", Files.readString(Path.of(out, "checkpoints", "LATEST")).strip());
        List<String> lines = Files.readAllLines(Path.of(out, "metrics.jsonl"));
        ObjectMapper json = new ObjectMapper();
        JsonNode last = json.readTree(lines.get(lines.size() - 1));
        assertEquals(200, last.get("step").asInt());
        for (String key : List.of("tokens", "elapsed_s", "lr", "train_loss", "tokens_per_s", "val_loss", "val_bleu")) {
            assertTrue(last.has(key), key + " missing in " + last);
        }
        JsonNode firstEval = lines.stream().map(l -> readTree(json, l)).filter(n -> n.has("val_loss")).findFirst()
                .orElseThrow();
        assertEquals(50, firstEval.get("step").asInt());
        assertTrue(last.get("val_loss").asDouble() < firstEval.get("val_loss").asDouble(), lines.toString());
        assertTrue(last.get("val_loss").asDouble() < 0.4, last.toString());
        assertTrue(last.get("val_bleu").asDouble() >= 50, last.toString());
    }

    private static JsonNode readTree(ObjectMapper json, String line) {
        try {
            return json.readTree(line);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void translateReadsAFileOrStdinAndTranslatesUnseenSentences() throws Exception {
        String input = write("in.de", "zwei fünf drei\nvier eins\ndrei eins zwei vier\n");
        String expected = "two five three\nfour one\nthree one two four\n";
        Object[] greedy = cli(null, "translate", "--checkpoint", out, "--input", input);
        assertEquals(0, greedy[0], (String) greedy[2]);
        assertEquals(expected, greedy[1]);
        Object[] beam = cli("zwei fünf drei\nvier eins\ndrei eins zwei vier\n", "translate", "--checkpoint", out,
                "--beam", "3", "--length-penalty", "1.0", "--batch-size", "2");
        assertEquals(0, beam[0], (String) beam[2]);
        assertEquals(expected, beam[1]);
        // --max-length caps the output tokens (each word is one BPE token here): two of three words.
        Object[] cut = cli("zwei fünf drei\n", "translate", "--checkpoint", out, "--max-length", "2");
        assertEquals(0, cut[0], (String) cut[2]);
        assertEquals("two five\n", cut[1]);
    }

    @Test
    void evaluatePrintsBleuLossAndPerplexityOfUnseenPairs() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String hyps = dir.resolve("hyps.txt").toString();
        Object[] greedy = cli(null, "evaluate", "--checkpoint", out, "--corpus", testDe, "--references", testEn,
                "--hypotheses", hyps);
        assertEquals(0, greedy[0], (String) greedy[2]);
        JsonNode g = json.readTree((String) greedy[1]);
        assertTrue(g.get("bleu").asDouble() >= 80, g.toString());
        assertEquals("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp", g.get("bleu_signature").asText());
        assertEquals(40, g.get("sentences").asInt());
        assertEquals(1, g.get("beam").asInt());
        assertTrue(g.get("loss").asDouble() < 0.4, g.toString());
        assertEquals(Math.exp(g.get("loss").asDouble()), g.get("perplexity").asDouble(), 1e-4);
        List<String> written = Files.readAllLines(Path.of(hyps));
        assertEquals(40, written.size());
        // The hypotheses file holds what was scored: its BLEU against the references is the printed one.
        assertEquals(g.get("bleu").asDouble(), Bleu.corpus(written, Files.readAllLines(Path.of(testEn))).score(), 1e-3);

        Object[] beam = cli(null, "evaluate", "--checkpoint", out, "--corpus", testDe, "--references", testEn,
                "--beam", "4", "--length-penalty", "0.6");
        assertEquals(0, beam[0], (String) beam[2]);
        JsonNode b = json.readTree((String) beam[1]);
        assertTrue(b.get("bleu").asDouble() >= 80, b.toString());
        assertEquals(4, b.get("beam").asInt());
        // The loss is teacher-forced on the references: decoding does not change it.
        assertEquals(g.get("loss").asDouble(), b.get("loss").asDouble(), 1e-9);

        // The training pairs as two files and as a TSV are the same pairs: the same loss.
        Object[] files = cli(null, "evaluate", "--checkpoint", out, "--corpus", de, "--references", en);
        Object[] fromTsv = cli(null, "evaluate", "--checkpoint", out, "--corpus", tsv);
        assertEquals(0, files[0], (String) files[2]);
        assertEquals(0, fromTsv[0], (String) fromTsv[2]);
        assertEquals(json.readTree((String) files[1]).get("loss").asDouble(),
                json.readTree((String) fromTsv[1]).get("loss").asDouble(), 1e-6);
    }

    @Test
    void misalignedCorpusIsRefusedWithExitCodeTwo() throws Exception {
        String shorter = write("short.en", "one\ntwo\n");
        String misaligned = dir.resolve("misaligned").toString();
        Object[] r = cli(null, "train", "--config", "../conf/seq2seq-tiny.conf", "--source", de, "--target", shorter,
                "--out", misaligned);
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).lines().anyMatch(line -> line.equals("sparkformer train: error: misaligned parallel"
                + " corpus: source " + de + " has 200 lines but target " + shorter + " has 2 (line i of one must"
                + " translate line i of the other)")), (String) r[2]);
        assertFalse(Files.exists(Path.of(misaligned, "checkpoints")));
    }

    @Test
    void separateVocabulariesFromATsvTrainOnTwoWorkersAndTranslate() throws Exception {
        String run = dir.resolve("separate").toString();
        Object[] r = cli(null, "train", "--config", "../conf/seq2seq-tiny.conf", "--corpus", tsv, "--out", run,
                "--set", "seq2seq.sharedVocabulary=false", "--set", "seq2seq.sharedEmbeddings=false",
                "--set", "train.steps=10", "--set", "spark.workers=2", "--set", "train.batchSize=4");
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(Files.exists(Path.of(run, "checkpoints", "step-000010", "source-tokenizer.json")));
        Object[] t = cli("eins zwei\n", "translate", "--checkpoint", run);
        assertEquals(0, t[0], (String) t[2]);
        // Resume continues from step 10 to 20 with the checkpoint's tokenizers.
        Object[] resumed = cli(null, "train", "--config", "../conf/seq2seq-tiny.conf", "--corpus", tsv, "--out", run,
                "--set", "seq2seq.sharedVocabulary=false", "--set", "seq2seq.sharedEmbeddings=false",
                "--set", "spark.workers=2", "--set", "train.batchSize=4", "--resume");
        assertEquals(0, resumed[0], (String) resumed[2]);
        assertEquals("step-000020", Files.readString(Path.of(run, "checkpoints", "LATEST")).strip());
    }

    @Test
    void trainingFromAParquetTablesColumnsFollowsTheSameStepsAsFromTheTsvOfItsRows() throws Exception {
        List<org.apache.spark.sql.Row> rows = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(tsv))) {
            String[] pair = line.split("\t");
            rows.add(org.apache.spark.sql.RowFactory.create(pair[0], pair[1]));
        }
        String table = dir.resolve("pairs.parquet").toString();
        org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().appName("pairs")
                .getOrCreate();
        try {
            spark.createDataFrame(rows, new org.apache.spark.sql.types.StructType()
                            .add("deutsch", org.apache.spark.sql.types.DataTypes.StringType)
                            .add("english", org.apache.spark.sql.types.DataTypes.StringType))
                    .coalesce(1).write().parquet(table);
        } finally {
            spark.stop();
        }
        String[] steps = {"--set", "train.steps=10", "--set", "train.evalEvery=5", "--set", "train.batchSize=4"};
        List<String> fromTsv = new ArrayList<>(List.of("train", "--config", "../conf/seq2seq-tiny.conf", "--corpus", tsv,
                "--out", dir.resolve("from-tsv").toString()));
        fromTsv.addAll(List.of(steps));
        Object[] a = cli(null, fromTsv.toArray(String[]::new));
        assertEquals(0, a[0], (String) a[2]);
        List<String> fromTable = new ArrayList<>(List.of("train", "--config", "../conf/seq2seq-tiny.conf", "--corpus",
                table, "--format", "parquet", "--source-column", "deutsch", "--target-column", "english",
                "--out", dir.resolve("from-table").toString()));
        fromTable.addAll(List.of(steps));
        Object[] b = cli(null, fromTable.toArray(String[]::new));
        assertEquals(0, b[0], (String) b[2]);
        List<String> metricsA = Files.readAllLines(dir.resolve("from-tsv/metrics.jsonl"));
        List<String> metricsB = Files.readAllLines(dir.resolve("from-table/metrics.jsonl"));
        assertEquals(metricsA.size(), metricsB.size());
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (int i = 0; i < metricsA.size(); i++) {
            var x = json.readTree(metricsA.get(i));
            var y = json.readTree(metricsB.get(i));
            assertEquals(x.get("step").asLong(), y.get("step").asLong());
            assertEquals(x.path("train_loss").asDouble(), y.path("train_loss").asDouble(), 1e-5, "train loss, line " + i);
            assertEquals(x.path("val_loss").asDouble(), y.path("val_loss").asDouble(), 1e-5, "validation loss, line " + i);
        }
        assertEquals(Files.readString(dir.resolve("from-tsv/tokenizer.json")),
                Files.readString(dir.resolve("from-table/tokenizer.json")), "the same vocabulary");
    }
}
