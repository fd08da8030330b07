package io.sparkformer.job.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.job.Cli;
import io.sparkformer.job.TestCorpus;
import io.sparkformer.train.WarmupCosineSchedule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --resume} replays the interrupted run exactly or refuses, naming the key and both values. */
class ResumeReplayTest {
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

    private static String[] train(String out, String... more) {
        return TestCorpus.tinyTrain(corpus, out, 10, more);
    }

    @Test
    void resumingWithAnotherOptimiserSettingIsRefusedAndTheRunIsKept() throws Exception {
        String out = dir.resolve("optimiser").toString();
        assertEquals(0, Cli.run(train(out)).code());
        String metrics = Files.readString(Path.of(out, "metrics.jsonl"));

        // The checkpoint's graph carries its optimiser: a changed value would otherwise be silently ignored.
        Cli.Result r = Cli.run(train(out, "--resume", "--set", "train.steps=20", "--set", "train.weightDecay=0.1",
                "--set", "train.gradClip=0.5"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("sparkformer train: error: checkpoint step-000010 was trained with another batch"
                + " plan or schedule: train.weightDecay=0.01 (config says 0.1), train.gradClip=1.0 (config says 0.5);"
                + " a resumed run replays them exactly"), r.err());
        assertEquals("step-000010", Files.readString(Path.of(out, "checkpoints", "LATEST")).strip());
        assertEquals(metrics, Files.readString(Path.of(out, "metrics.jsonl")), "metrics.jsonl untouched");
    }

    @Test
    void resumingWithAnotherSeedOrWorkerCountIsRefusedAndTheRunIsKept() throws Exception {
        String out = dir.resolve("seed").toString();
        assertEquals(0, Cli.run(train(out)).code());
        String metrics = Files.readString(Path.of(out, "metrics.jsonl"));
        String identity = Files.readString(Path.of(out, "run.json"));

        Cli.Result r = Cli.run(train(out, "--resume", "--set", "train.steps=20", "--set", "train.seed=7",
                "--set", "spark.workers=2"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("sparkformer train: error: checkpoint step-000010 was trained with another batch"
                + " plan or schedule: train.seed=1337 (config says 7), spark.workers=1 (config says 2); a resumed run"
                + " replays them exactly (only train.steps may change, and train.decaySteps with it where it"
                + " follows train.steps): keep the checkpoint's values or start a new run"), r.err());
        assertEquals("step-000010", Files.readString(Path.of(out, "checkpoints", "LATEST")).strip());
        assertEquals(metrics, Files.readString(Path.of(out, "metrics.jsonl")), "metrics.jsonl untouched");
        assertEquals(identity, Files.readString(Path.of(out, "run.json")), "run.json names the original command");

        Cli.Result rerun = Cli.run(train(out));   // the original command is still this run's
        assertEquals(0, rerun.code(), rerun.err());

        Cli.Result longer = Cli.run(train(out, "--resume", "--set", "train.steps=20"));
        assertEquals(0, longer.code(), longer.err());
        assertEquals("step-000020", Files.readString(Path.of(out, "checkpoints", "LATEST")).strip());
    }

    @Test
    void anExtendedRunLogsTheLearningRateOfTheScheduleItsCheckpointCarries() throws Exception {
        String out = dir.resolve("extended").toString();
        assertEquals(0, Cli.run(train(out, "--set", "train.warmupSteps=2")).code());
        Cli.Result longer = Cli.run(train(out, "--set", "train.warmupSteps=2", "--resume", "--set", "train.steps=20"));
        assertEquals(0, longer.code(), longer.err());

        // train.decaySteps follows train.steps: 10 in the schedule the checkpoint's graph carries (and the
        // resumed run trains with), 20 in the config's. gpt-tiny: learning rate 3e-3, floor 3e-4.
        WarmupCosineSchedule applied = new WarmupCosineSchedule(3e-3, 3e-4, 2, 10);
        WarmupCosineSchedule config = new WarmupCosineSchedule(3e-3, 3e-4, 2, 20);
        List<String> lines = Files.readAllLines(Path.of(out, "metrics.jsonl"));
        assertEquals(4, lines.size(), String.join("\n", lines));
        for (String line : lines) {
            JsonNode m = new ObjectMapper().readTree(line);
            int step = m.get("step").asInt();
            assertEquals(applied.valueAt(step - 1, 0), m.get("lr").asDouble(), 1e-12, "lr at step " + step);
            if (step == 15) {   // mid-decay in the config's schedule (9.75e-4), past its end in the checkpoint's
                assertTrue(Math.abs(config.valueAt(step - 1, 0) - m.get("lr").asDouble()) > 5e-4,
                        "the config's schedule gives another rate at step " + step);
            }
        }
    }
}
