package io.sparkformer.job.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.job.Main;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seq2seq family through the command line on local Spark: train on a parallel corpus (two
 * files, or a TSV), translate from a file and from stdin, evaluate BLEU/loss/perplexity, resume,
 * and refuse a misaligned corpus. A tiny model trained a few steps: this checks the plumbing;
 * that such a model learns is Seq2SeqToyTranslationTest's job.
 */
class TranslateEndToEndTest {
    @TempDir
    static Path dir;
    private static String de;
    private static String en;
    private static String tsv;
    private static String out;

    @BeforeAll
    static void setUp() throws Exception {
        System.setProperty("spark.master", "local[2]");
        System.setProperty("spark.ui.enabled", "false");
        String[] words = {"eins", "zwei", "drei", "vier", "fünf"};
        String[] english = {"one", "two", "three", "four", "five"};
        Random r = new Random(1);
        StringBuilder src = new StringBuilder();
        StringBuilder tgt = new StringBuilder();
        StringBuilder pairs = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            List<String> s = new ArrayList<>();
            List<String> t = new ArrayList<>();
            for (int j = 0; j < 2 + r.nextInt(3); j++) {
                int w = r.nextInt(words.length);
                s.add(words[w]);
                t.add(english[w]);
            }
            src.append(String.join(" ", s)).append('\n');
            tgt.append(String.join(" ", t)).append('\n');
            pairs.append(String.join(" ", s)).append('\t').append(String.join(" ", t)).append('\n');
        }
        de = write("train.de", src.toString());
        en = write("train.en", tgt.toString());
        tsv = write("train.tsv", pairs.toString());
        out = dir.resolve("run").toString();
        Object[] r0 = cli(null, "train", "--config", "../conf/seq2seq-tiny.conf", "--source", de, "--target", en,
                "--out", out);
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
    void trainingWritesTheRunDirectoryWithValidationLossAndBleu() throws Exception {
        assertTrue(Files.exists(Path.of(out, "config.conf")));
        assertTrue(Files.exists(Path.of(out, "tokenizer.json")));
        assertEquals("step-000020", Files.readString(Path.of(out, "checkpoints", "LATEST")).strip());
        List<String> lines = Files.readAllLines(Path.of(out, "metrics.jsonl"));
        JsonNode last = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertEquals(20, last.get("step").asInt());
        for (String key : List.of("tokens", "elapsed_s", "lr", "train_loss", "tokens_per_s", "val_loss", "val_bleu")) {
            assertTrue(last.has(key), key + " missing in " + last);
        }
    }

    @Test
    void translateReadsAFileOrStdinAndPrintsOneLinePerSentence() throws Exception {
        String input = write("in.de", "eins zwei\ndrei\nvier fünf eins\n");
        Object[] fromFile = cli(null, "translate", "--checkpoint", out, "--input", input);
        assertEquals(0, fromFile[0], (String) fromFile[2]);
        assertEquals(3, ((String) fromFile[1]).split("\n", -1).length - 1, (String) fromFile[1]);
        Object[] fromStdin = cli("eins zwei\ndrei\nvier fünf eins\n", "translate", "--checkpoint", out, "--beam", "3",
                "--length-penalty", "1.0", "--max-length", "8");
        assertEquals(0, fromStdin[0], (String) fromStdin[2]);
        assertEquals(3, ((String) fromStdin[1]).split("\n", -1).length - 1, (String) fromStdin[1]);
    }

    @Test
    void evaluatePrintsBleuLossAndPerplexity() throws Exception {
        String hyps = dir.resolve("hyps.txt").toString();
        Object[] r = cli(null, "evaluate", "--checkpoint", out, "--corpus", de, "--references", en, "--beam", "2",
                "--hypotheses", hyps);
        assertEquals(0, r[0], (String) r[2]);
        JsonNode json = new ObjectMapper().readTree((String) r[1]);
        double bleu = json.get("bleu").asDouble();
        assertTrue(bleu >= 0 && bleu <= 100, json.toString());
        assertEquals(Math.exp(json.get("loss").asDouble()), json.get("perplexity").asDouble(), 1e-3);
        assertEquals(200, json.get("sentences").asInt());
        assertEquals(200, Files.readAllLines(Path.of(hyps)).size());
        Object[] fromTsv = cli(null, "evaluate", "--checkpoint", out, "--corpus", tsv);
        assertEquals(0, fromTsv[0], (String) fromTsv[2]);
        // The TSV holds the same pairs, so the teacher-forced loss is the same.
        assertEquals(json.get("loss").asDouble(), new ObjectMapper().readTree((String) fromTsv[1]).get("loss").asDouble(),
                1e-6);
    }

    @Test
    void misalignedCorpusIsRefusedWithExitCodeTwo() throws Exception {
        String shorter = write("short.en", "one\ntwo\n");
        Object[] r = cli(null, "train", "--config", "../conf/seq2seq-tiny.conf", "--source", de, "--target", shorter,
                "--out", dir.resolve("misaligned").toString());
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains("misaligned parallel corpus: source " + de + " has 200 lines but target "
                + shorter + " has 2"), (String) r[2]);
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
}
