package io.sparkformer.job.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.job.Cli;
import io.sparkformer.job.LogLines;
import io.sparkformer.job.TestCorpus;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Restarted drivers: a rerun of the same {@code train} command resumes from the newest complete
 * checkpoint (no flag needed), a different command is refused naming what differs, and
 * {@code --overwrite} deletes nothing while an input is bad.
 */
class RunRestartTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    private static String corpus;

    @BeforeAll
    static void setUp() throws Exception {
        TestCorpus.useLocalSpark();
        corpus = TestCorpus.writeShakespeare(dir, 30000);
    }

    @AfterAll
    static void tearDown() {
        TestCorpus.clearLocalSpark();
    }

    private static String[] train(String out, String corpusUri, String... more) {
        return TestCorpus.tinyTrain(corpusUri, out, 10, more);
    }

    private static List<JsonNode> metrics(String out) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readString(Path.of(out, "metrics.jsonl")).strip().split("\n")) {
            lines.add(JSON.readTree(line));
        }
        return lines;
    }

    private static List<String> checkpointFiles(String out) throws Exception {
        try (Stream<Path> files = Files.walk(Path.of(out, "checkpoints"))) {
            return files.map(p -> p + " " + p.toFile().length()).sorted(Comparator.naturalOrder()).toList();
        }
    }

    @Test
    void aRerunOfTheSameCommandResumesFromTheNewestCheckpointAndReproducesTheLosses() throws Exception {
        String undisturbed = dir.resolve("undisturbed").toString();
        assertEquals(0, Cli.run(train(undisturbed, corpus)).code());

        // What a driver killed between steps 5 and 10 leaves: LATEST at step 5, no step 10.
        String out = dir.resolve("rerun").toString();
        assertEquals(0, Cli.run(train(out, corpus)).code());
        CheckpointStore store = new CheckpointStore(out, new Configuration(), 3);
        assertEquals(List.of("step-000005", "step-000010"), store.list());
        org.apache.commons.io.FileUtils.deleteDirectory(Path.of(out, "checkpoints", "step-000010").toFile());
        Files.writeString(Path.of(out, "checkpoints", "LATEST"), "step-000005\n");

        Cli.Result rerun;
        List<String> log;
        try (LogLines lines = new LogLines("io.sparkformer")) {
            rerun = Cli.run(train(out, corpus));   // the very same command line: no --resume
            log = lines.lines();
        }
        assertEquals(0, rerun.code(), rerun.err());
        assertTrue(log.stream().anyMatch(l -> l.endsWith("holds a run of this same command, inputs and config:"
                + " resuming it (--overwrite starts over)")), String.join("\n", log));
        assertTrue(log.stream().anyMatch(l -> l.startsWith("INFO loaded checkpoint ") && l.endsWith("/step-000005")),
                String.join("\n", log));
        assertEquals("step-000010", store.latest().orElseThrow());
        List<JsonNode> expected = metrics(undisturbed);
        List<JsonNode> actual = metrics(out);
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).get("step").asLong(), actual.get(i).get("step").asLong());
            assertEquals(expected.get(i).get("train_loss").asDouble(), actual.get(i).get("train_loss").asDouble(), 1e-5,
                    "train loss at step " + expected.get(i).get("step"));
            assertEquals(expected.get(i).path("val_loss").asDouble(), actual.get(i).path("val_loss").asDouble(), 1e-5);
        }
    }

    @Test
    void overwriteWithAMissingCorpusDeletesNothing() throws Exception {
        String out = dir.resolve("overwrite").toString();
        assertEquals(0, Cli.run(train(out, corpus)).code());
        java.util.Map<String, String> before = runFiles(out);

        String typo = dir.resolve("corpsu.txt").toString();
        Cli.Result r = Cli.run(train(out, typo, "--overwrite"));
        assertEquals(2, r.code());
        assertEquals("sparkformer train: error: corpus " + typo + " does not exist", r.err().strip());
        assertEquals(before, runFiles(out), "every file of the run is still there, byte for byte");
    }

    @Test
    void overwriteWithABinaryCorpusDeletesNothing() throws Exception {
        String out = dir.resolve("overwrite-binary").toString();
        assertEquals(0, Cli.run(train(out, corpus)).code());
        java.util.Map<String, String> before = runFiles(out);
        Path binary = dir.resolve("model.bin");
        Files.write(binary, new byte[] {'a', 'b', 0, 'c'});

        Cli.Result r = Cli.run(train(out, binary.toString(), "--overwrite"));

        assertEquals(2, r.code(), r.err());
        assertEquals("sparkformer train: error: corpus file file:" + binary + " looks binary (NUL byte at offset 2)",
                r.err().strip());
        assertEquals(before, runFiles(out), "every file of the run is still there, byte for byte");
    }

    /** Every file of the run but its lease, by path, with its SHA-256: what a refused --overwrite leaves alone. */
    private static java.util.Map<String, String> runFiles(String out) throws Exception {
        java.util.Map<String, String> files = new java.util.TreeMap<>();
        try (Stream<Path> walk = Files.walk(Path.of(out))) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                if (!p.getFileName().toString().equals(RunLease.FILE)) {
                    files.put(p.toString(), java.util.HexFormat.of().formatHex(
                            java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
                }
            }
        }
        return files;
    }

    @Test
    void overwriteWithAnEmptyCorpusDeletesNothing() throws Exception {
        String out = dir.resolve("overwrite-empty").toString();
        assertEquals(0, Cli.run(train(out, corpus)).code());
        java.util.Map<String, String> before = runFiles(out);
        assertTrue(before.containsKey(Path.of(out, "checkpoints", "LATEST").toString()), before.toString());
        assertTrue(before.containsKey(Path.of(out, "metrics.jsonl").toString()), before.toString());
        Path empty = Files.createFile(dir.resolve("empty.txt"));

        Cli.Result r = Cli.run(train(out, empty.toString(), "--overwrite"));

        assertEquals(2, r.code(), r.err());
        assertEquals("sparkformer train: error: corpus " + empty + " is empty", r.err().strip());
        assertEquals(before, runFiles(out), "every file of the run is still there, byte for byte");
    }

    @Test
    void overwriteWithAShortCorpusAWordpieceTokenizerOrAModelTooLargeForTheBudgetDeletesNothing() throws Exception {
        String out = dir.resolve("overwrite-refused").toString();
        assertEquals(0, Cli.run(train(out, corpus)).code());
        java.util.Map<String, String> before = runFiles(out);
        Path tiny = dir.resolve("tiny.txt");
        Files.writeString(tiny, "To be, or not to be.\n");   // 21 bytes: at most 19 training tokens

        Cli.Result shortCorpus = Cli.run(train(out, tiny.toString(), "--overwrite"));
        assertEquals(2, shortCorpus.code(), shortCorpus.err());
        assertEquals("sparkformer train: error: corpus " + tiny + " has at most 19 training tokens (21 bytes), fewer"
                + " than one window of model.contextLength + 1 = 33", shortCorpus.err().strip());

        Cli.Result wordpiece = Cli.run(train(out, corpus, "--overwrite", "--set", "tokenizer.type=wordpiece"));
        assertEquals(2, wordpiece.code(), wordpiece.err());
        assertEquals("sparkformer train: error: tokenizer.type = wordpiece cannot be fitted on a corpus: it comes with"
                + " an imported BERT (sparkformer import); use bpe or char", wordpiece.err().strip());

        // About 1.2 G parameters: far beyond the tests' 6 GB of off-heap memory (-Dorg.bytedeco.javacpp.maxbytes).
        Cli.Result large = Cli.run(train(out, corpus, "--overwrite", "--set", "model.embedDim=2048", "--set",
                "model.heads=16", "--set", "model.layers=24"));
        assertEquals(2, large.code(), large.err());
        assertTrue(large.err().startsWith("sparkformer train: error: this JVM's off-heap budget is too small for this"
                + " model: training needs about "), large.err());

        assertEquals(before, runFiles(out), "every file of the run is still there, byte for byte");
    }

    @Test
    void overwriteWithAPreparedTrainingSplitShorterThanAWindowDeletesNothing() throws Exception {
        String out = dir.resolve("overwrite-limits").toString();
        assertEquals(0, Cli.run(train(out, corpus)).code());
        java.util.Map<String, String> before = runFiles(out);

        // Prepared for a context of 8: 21 training tokens, fewer than gpt-tiny's window of 33.
        Path text = Files.writeString(dir.resolve("short.txt"), "To be, or not to be.\n");
        String data = dir.resolve("short-data").toString();
        Cli.Result prepare = Cli.run("prepare", "--config", "../conf/gpt-tiny.conf", "--corpus", text.toString(),
                "--out", data, "--set", "model.contextLength=8", "--set", "data.valFraction=0");
        assertEquals(0, prepare.code(), prepare.err());
        Cli.Result split = Cli.run(train(out, data, "--overwrite"));
        assertEquals(2, split.code(), split.err());
        assertEquals("sparkformer train: error: the training split has 21 tokens, fewer than one window of"
                + " contextLength + 1 = 33", split.err().strip());

        assertEquals(before, runFiles(out), "every file of the run is still there, byte for byte");
    }

    @Test
    void aCorpusRewrittenInPlaceIsRefusedOnARerunAndOnResume() throws Exception {
        Path text = dir.resolve("rewritten.txt");
        Files.copy(Path.of(corpus), text);
        String out = dir.resolve("rewritten").toString();
        assertEquals(0, Cli.run(train(out, text.toString())).code());
        List<String> before = checkpointFiles(out);
        String runJson = Files.readString(Path.of(out, "run.json"));
        assertTrue(runJson.contains("\"corpus contents\" : \"1 file, " + Files.size(text) + " bytes, newest "), runJson);

        Files.writeString(text, "Another text, written over the first.\n".repeat(2000));
        Cli.Result rerun = Cli.run(train(out, text.toString()));   // the same command line, other data
        assertEquals(2, rerun.code(), rerun.err());
        assertTrue(rerun.err().startsWith("sparkformer train: error: output file:" + out + " already holds another run"
                + " (--corpus contents 1 file, "), rerun.err());
        Cli.Result resumed = Cli.run(train(out, text.toString(), "--resume"));
        assertEquals(2, resumed.code(), resumed.err());
        assertTrue(resumed.err().strip().matches("sparkformer train: error: checkpoint step-000010 was trained on other"
                + " inputs: --corpus contents 1 file, \\d+ bytes, .* \\(this command: 1 file, \\d+ bytes, .*\\);"
                + " a resumed run replays its data exactly: give the run's inputs unchanged or start a new run"),
                resumed.err());
        assertEquals(before, checkpointFiles(out));
        assertEquals(runJson, Files.readString(Path.of(out, "run.json")));
    }

    @Test
    void aResumeOnAnotherCorpusIsRefusedOnceTheRunHasTrained() throws Exception {
        String out = dir.resolve("moved").toString();
        assertEquals(0, Cli.run(train(out, corpus)).code());
        Path other = dir.resolve("other-corpus.txt");
        Files.copy(Path.of(corpus), other);
        Cli.Result r = Cli.run(train(out, other.toString(), "--resume"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("sparkformer train: error: checkpoint step-000010 was trained on other inputs:"
                + " --corpus file:" + corpus + " (this command: file:" + other + ")"), r.err());
    }

    @Test
    void aRerunWithAnotherConfigIsRefusedNamingTheKey() throws Exception {
        String out = dir.resolve("other").toString();
        assertEquals(0, Cli.run(train(out, corpus)).code());
        List<String> before = checkpointFiles(out);
        // train.decaySteps defaults to train.steps: the effective config differs in both.
        Cli.Result r = Cli.run(train(out, corpus, "--set", "train.steps=20"));
        assertEquals(2, r.code());
        assertEquals("sparkformer train: error: output file:" + out + " already holds another run (train.steps = 10"
                + " (this command: 20); train.decaySteps = 10 (this command: 20)): pass --resume to continue it with this command or --overwrite to replace it",
                r.err().strip());
        assertEquals(before, checkpointFiles(out));
    }

    @Test
    void aLaterYarnAttemptOfTheSameApplicationResumesEvenWithOverwrite() throws Exception {
        Path out = dir.resolve("attempts");
        RunDirectory run = new RunDirectory(out.toString(), new Configuration());
        RunIdentity identity = RunIdentity.of("train", "train {\n  steps = 10\n}\n").with("corpus", "file:/c.txt");
        RunDirectory.Application first = new RunDirectory.Application("application_1_0001", "1");
        assertEquals(RunDirectory.Start.NEW, run.claim(identity, false, true, first));
        Files.createDirectories(out.resolve("checkpoints/step-000005"));   // attempt 1's checkpoint

        RunDirectory.Application second = new RunDirectory.Application("application_1_0001", "2");
        assertEquals(RunDirectory.Start.RESUME, run.claim(identity, false, true, second));
        assertTrue(Files.isDirectory(out.resolve("checkpoints/step-000005")), "attempt 2 deleted nothing");

        // Another application with --overwrite is a user's fresh start: it replaces the run.
        RunDirectory.Application other = new RunDirectory.Application("application_1_0002", "1");
        assertEquals(RunDirectory.Start.NEW, run.claim(identity, false, true, other));
        assertFalse(Files.exists(out.resolve("checkpoints")));
    }
}
