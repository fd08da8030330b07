package io.sparkformer.job.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.job.Cli;
import io.sparkformer.job.TestCorpus;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM to a training driver (what YARN preemption, a Kubernetes pod deletion or Ctrl-C send):
 * {@code train} runs in a JVM of its own (Spark local[2]); once it has logged step 10 the test sends
 * SIGTERM. The driver finishes its round, writes a checkpoint at the step it reached and exits; the
 * same command run again (no flag) continues from there and reproduces an undisturbed run's losses.
 */
class DriverTerminatedTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int STEPS = 100;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static File base;
    private static ClusterProcesses processes;
    private static String corpus;

    @BeforeAll
    static void setUp() throws Exception {
        processes = new ClusterProcesses(base.toPath().resolve("logs"));
        String text = TestCorpus.shakespeare(60000);
        corpus = new File(base, "corpus.txt").toString();
        Files.writeString(Path.of(corpus), text);
    }

    @AfterAll
    static void stop() {
        if (processes != null) {
            processes.close();
        }
        System.clearProperty("spark.master");
    }

    private static List<String> train(String out) {
        return List.of("train", "--config", ClusterProcesses.projectRoot().resolve("conf/gpt-tiny.conf").toString(),
                "--corpus", corpus, "--out", out, "--set", "spark.workers=2", "--set", "train.batchSize=4",
                "--set", "train.steps=" + STEPS, "--set", "train.evalEvery=10", "--set", "train.checkpointEvery=" + STEPS,
                "--set", "train.warmupSteps=5", "--set", "train.shutdownGraceSeconds=60");
    }

    private static List<JsonNode> metrics(String run) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readString(Path.of(run, "metrics.jsonl")).strip().split("\n")) {
            lines.add(JSON.readTree(line));
        }
        return lines;
    }

    private static long lastLoggedStep(String run) {
        try {
            List<JsonNode> lines = metrics(run);
            return lines.get(lines.size() - 1).get("step").asLong();
        } catch (Exception e) {
            return 0;   // not written yet, or being replaced
        }
    }

    @Test
    void sigtermCheckpointsTheStepReachedAndARerunReproducesTheUndisturbedRun() throws Exception {
        String run = new File(base, "terminated").toString();
        Process driver = processes.java("driver", List.of("-Xmx1g", "-Dspark.master=local[2]",
                "-Dspark.ui.enabled=false"), Map.of(), "io.sparkformer.job.Main", train(run));
        ClusterProcesses.waitUntil("the driver to log step 10", Duration.ofMinutes(6), () -> {
            if (!driver.isAlive()) {
                throw new AssertionError("the driver exited (" + driver.exitValue() + ") early; log:\n"
                        + processes.logText("driver"));
            }
            return lastLoggedStep(run) >= 10;
        });
        driver.destroy();   // SIGTERM
        assertEquals(128 + 15, ClusterProcesses.await(driver, Duration.ofMinutes(2)), "exited on SIGTERM");

        String log = processes.logText("driver");
        CheckpointStore store = new CheckpointStore(run, new Configuration(), 3);
        long reached = lastLoggedStep(run);
        assertTrue(reached >= 10 && reached < STEPS && reached % 5 == 0, "stopped at a round's end: " + reached);
        assertEquals(List.of(String.format("step-%06d", reached)), store.list(), "one checkpoint, at the step reached");
        assertEquals(String.format("step-%06d", reached), store.latest().orElseThrow());
        assertTrue(log.contains("Shutdown requested (SIGTERM): finishing the current round and writing a checkpoint"),
                log);
        assertTrue(log.contains("(shutdown requested)"), log);

        System.setProperty("spark.master", "local[2]");
        System.setProperty("spark.ui.enabled", "false");
        String undisturbed = new File(base, "undisturbed").toString();
        assertEquals(0, Cli.run(train(undisturbed).toArray(String[]::new)).code());
        Cli.Result rerun = Cli.run(train(run).toArray(String[]::new));   // the same command: resumes
        assertEquals(0, rerun.code(), rerun.err());

        List<JsonNode> expected = metrics(undisturbed);
        List<JsonNode> actual = metrics(run);
        assertEquals(expected.stream().map(n -> n.get("step").asLong()).toList(),
                actual.stream().map(n -> n.get("step").asLong()).toList());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).get("train_loss").asDouble(), actual.get(i).get("train_loss").asDouble(), 1e-5,
                    "train loss at step " + expected.get(i).get("step"));
            assertEquals(expected.get(i).path("val_loss").asDouble(), actual.get(i).path("val_loss").asDouble(), 1e-5);
        }
        assertEquals(String.format("step-%06d", STEPS), store.latest().orElseThrow());
    }
}
