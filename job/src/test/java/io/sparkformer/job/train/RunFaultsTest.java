package io.sparkformer.job.train;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.job.Main;
import io.sparkformer.job.TestCorpus;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Faults of a run the user must be told about, each with its exit code and one clear line. */
class RunFaultsTest {
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

    private static Object[] cli(String... args) {
        io.sparkformer.job.Cli.Result r = io.sparkformer.job.Cli.run(args);
        return new Object[] {r.code(), r.err()};
    }

    private static String[] train(String out, String... more) {
        return TestCorpus.tinyTrain(corpus, out, 10, more);
    }

    @Test
    void resumingWithAnotherArchitectureIsRefused() {
        String out = dir.resolve("arch").toString();
        assertEquals(0, cli(train(out))[0]);
        Object[] r = cli(train(out, "--resume", "--set", "model.layers=3", "--set", "train.steps=20"));
        assertEquals(2, r[0]);
        assertTrue(((String) r[1]).contains("checkpoint step-000010 has a different architecture: model.layers=2 (config says 3)"),
                (String) r[1]);
    }

    /** Trains 10 steps into {@code out}, then rewrites its step-10 checkpoint with {@code poison} applied. */
    private static CheckpointStore poisonedRun(String out, java.util.function.Consumer<ComputationGraph> poison) {
        assertEquals(0, cli(train(out))[0]);
        CheckpointStore store = new CheckpointStore(out, new Configuration(), 3);
        Checkpoint good = store.loadLatest().orElseThrow();
        ComputationGraph graph = good.model();
        poison.accept(graph);
        store.save(new Checkpoint(good.name(), good.state(), good.configText(), good.tokenizerJson(), graph));
        return store;
    }

    @Test
    void nonFiniteLossStopsTheRunNamingTheStepAndTheFirstBadParameter() {
        String out = dir.resolve("nan").toString();
        // Poison one parameter the way a diverged update would, then resume from it.
        CheckpointStore store = poisonedRun(out, graph -> graph.getLayer("gpt").getParam("h1.mlp.fc.W")
                .putScalar(0, 0, Float.NaN));

        Object[] r = cli(train(out, "--resume", "--set", "train.steps=20"));
        assertEquals(1, r[0]);
        String err = (String) r[1];
        assertTrue(err.contains("sparkformer train: failed: training loss became NaN in steps 11-15; it first went bad"
                + " at step 11 on worker 0: parameter h1.mlp.fc.W was already non-finite when the step began (after the"
                + " round "), err);
        assertTrue(err.contains(" parameters are non-finite); the last good checkpoint is step-000010 (set"
                + " train.onNonFinite = skip to skip such rounds)"), err);
        assertEquals("step-000010", store.latest().orElseThrow(), "no checkpoint of the diverged run was written");
    }

    @Test
    void anUpdateThatGoesNonFiniteIsNamedByItsStepAndParameter() {
        String out = dir.resolve("update").toString();
        // A negative second moment in Adam's state for the last element of the updater view: the
        // update of step 11 takes its square root, so the last parameter (in the model's order) is
        // the one that goes bad, at step 11, while step 11's loss is still finite.
        String[] last = new String[1];
        CheckpointStore store = poisonedRun(out, graph -> {
            INDArray state = graph.getUpdater().getStateViewArray();
            state.putScalar(state.length() - 1, -1f);
            last[0] = List.copyOf(graph.getLayer("gpt").paramTable().keySet()).get(graph.getLayer("gpt")
                    .paramTable().size() - 1);
        });

        Object[] r = cli(train(out, "--resume", "--set", "train.steps=20"));
        assertEquals(1, r[0]);
        String err = (String) r[1];
        assertTrue(err.contains(" in steps 11-15; it first went bad at step 11 on worker 0: its update made parameter "
                + last[0] + " non-finite (loss "), err);
        assertEquals("step-000010", store.latest().orElseThrow(), "no checkpoint of the diverged run was written");
    }

    @Test
    void skipThatNeverRecoversFailsTheRunAfterMaxSkippedSteps() throws Exception {
        String out = dir.resolve("skip").toString();
        // A NaN parameter in the checkpoint: every round diverges, and skipping restores the NaN.
        CheckpointStore store = poisonedRun(out, graph -> graph.getLayer("gpt").getParam("h1.mlp.fc.W")
                .putScalar(0, 0, Float.NaN));
        String metricsBefore = Files.readString(Path.of(out, "metrics.jsonl"));

        Object[] r = cli(train(out, "--resume", "--set", "train.steps=40", "--set", "train.onNonFinite=skip",
                "--set", "train.maxSkippedSteps=10"));
        assertEquals(1, r[0]);
        String err = (String) r[1];
        assertTrue(err.contains("sparkformer train: failed: train.onNonFinite = skip did not recover: every round of"
                + " steps 11-20 was non-finite and skipped (10 steps, train.maxSkippedSteps = 10); the last good"
                + " checkpoint is step-000010"), err);
        assertEquals("step-000010", store.latest().orElseThrow(), "no checkpoint of the skipped rounds was written");
        assertEquals(metricsBefore, Files.readString(Path.of(out, "metrics.jsonl")), "skipped rounds log no metrics");
    }

    @Test
    void promptOutsideTheVocabularyIsABadInput() {
        String out = dir.resolve("prompt").toString();
        assertEquals(0, cli(train(out))[0]);
        Object[] r = cli("generate", "--checkpoint", out, "--prompt", "caf\u00e9");
        assertEquals(2, r[0]);
        assertTrue(((String) r[1]).contains("character '\u00e9' (U+00E9) at offset 3 is not in the tokenizer's vocabulary"),
                (String) r[1]);
    }

    @Test
    void missingCheckpointIsABadInput() {
        Object[] r = cli("generate", "--checkpoint", dir.resolve("nowhere").toString());
        assertEquals(2, r[0]);
        assertTrue(((String) r[1]).contains("nowhere"), (String) r[1]);
    }
}
