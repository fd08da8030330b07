package io.sparkformer.job.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.job.Cli;
import io.sparkformer.job.LogLines;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The driver killed with SIGKILL while it writes a checkpoint to HDFS, then {@code train --resume}.
 * {@code train} runs in a JVM of its own (this JVM's classpath, the Java 17 options, Spark
 * local[2]); the test-only hold of {@code CheckpointWriteHold} stops its save of step 20 after
 * model.zip, and the test kills the process there. The resume runs in this JVM.
 */
class DriverKilledDuringCheckpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static File base;
    private static MiniHdfs hdfs;
    private static ClusterProcesses processes;

    @BeforeAll
    static void startHdfs() throws Exception {
        hdfs = new MiniHdfs(new File(base, "dfs"), new Configuration());
        processes = new ClusterProcesses(base.toPath().resolve("logs"));
    }

    @AfterAll
    static void stop() {
        if (processes != null) {
            processes.close();
        }
        if (hdfs != null) {
            hdfs.close();
        }
        System.clearProperty("spark.master");
    }

    private static List<String> train(String run, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--config",
                ClusterProcesses.projectRoot().resolve("conf/gpt-tiny.conf").toString(),
                "--corpus", hdfs.uri + MiniHdfs.CORPUS, "--out", run, "--set", "spark.workers=2",
                "--set", "train.batchSize=4", "--set", "train.steps=30", "--set", "train.evalEvery=10",
                "--set", "train.checkpointEvery=10", "--set", "train.warmupSteps=5"));
        args.addAll(Arrays.asList(more));
        return args;
    }

    private static List<JsonNode> metrics(String path) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : hdfs.read(path).strip().split("\n")) {
            lines.add(JSON.readTree(line));
        }
        return lines;
    }

    private static JsonNode at(List<JsonNode> lines, long step) {
        return lines.stream().filter(n -> n.get("step").asLong() == step).findFirst()
                .orElseThrow(() -> new AssertionError("no metrics line for step " + step + ": " + lines));
    }

    @Test
    void resumeAfterTheDriverIsKilledMidCheckpointContinuesFromThePreviousCompleteCheckpoint() throws Exception {
        String run = hdfs.uri + "/runs/killed";
        File holds = new File(base, "holds");
        Files.createDirectories(holds.toPath());
        File hold = new File(holds, "step-000020.hold");
        File reached = new File(holds, "step-000020.reached");
        Files.writeString(hold.toPath(), "held by " + getClass().getSimpleName());

        Process driver = processes.java("driver", List.of("-Xmx1g", "-Dspark.master=local[2]",
                "-Dspark.ui.enabled=false", "-Dsparkformer.test.checkpointHoldDir=" + holds), Map.of(),
                "io.sparkformer.job.Main", train(run));
        ClusterProcesses.waitUntil("the driver to reach the hold in its save of step-000020", Duration.ofMinutes(6),
                () -> {
                    if (!driver.isAlive()) {
                        throw new AssertionError("the driver exited (" + driver.exitValue() + ") before the hold; log:\n"
                                + processes.logText("driver"));
                    }
                    return reached.exists();
                });
        driver.destroyForcibly();   // SIGKILL: no shutdown hook, no finally block, no cleanup
        assertEquals(128 + 9, ClusterProcesses.await(driver, Duration.ofMinutes(1)), "killed by SIGKILL");

        // What the killed driver left: LATEST at the previous checkpoint, the new one only as a
        // temporary directory holding model.zip and no manifest.
        FileSystem fs = hdfs.fs();
        Path checkpoints = new Path("/runs/killed/checkpoints");
        assertEquals("step-000010", hdfs.read(checkpoints + "/LATEST").strip());
        assertFalse(fs.exists(new Path(checkpoints, "step-000020")), "no step-000020 directory");
        Path partial = new Path(Files.readString(reached.toPath()).strip());
        assertTrue(partial.getName().startsWith(".tmp-step-000020-"), partial.toString());
        List<String> partialFiles = Arrays.stream(fs.listStatus(partial)).map(s -> s.getPath().getName()).toList();
        assertEquals(List.of("model.zip"), partialFiles, "the partial checkpoint holds model.zip only");
        List<JsonNode> before = metrics("/runs/killed/metrics.jsonl");
        assertEquals(20, before.get(before.size() - 1).get("step").asLong(), "the killed driver logged step 20");

        System.setProperty("spark.master", "local[2]");
        System.setProperty("spark.ui.enabled", "false");
        Cli.Result resumed;
        List<String> log;
        try (LogLines lines = new LogLines("io.sparkformer")) {
            resumed = Cli.run(train(run, "--resume").toArray(String[]::new));
            log = lines.lines();
        }
        assertEquals(0, resumed.code(), "resume exit code; stderr: " + resumed.err());

        String checkpointsUri = hdfs.uri + checkpoints;
        assertTrue(log.contains("INFO loaded checkpoint " + checkpointsUri + "/step-000010"), String.join("\n", log));
        assertTrue(log.stream().noneMatch(l -> l.startsWith("INFO loaded checkpoint") && !l.endsWith("/step-000010")),
                "only step-000010 was loaded: " + log);
        assertTrue(log.stream().noneMatch(l -> l.contains("skipping checkpoint")), "LATEST verified: " + log);
        assertTrue(log.contains("INFO deleted " + partial + ", left over by an interrupted or repeated save"),
                "the next save deletes the partial directory: " + log);
        for (FileStatus s : fs.listStatus(checkpoints)) {
            assertFalse(s.getPath().getName().startsWith(".tmp-"), "left over: " + s.getPath());
        }
        assertEquals("step-000030", hdfs.read(checkpoints + "/LATEST").strip());

        // metrics.jsonl: every round once, in order; the replayed steps 11-20 reproduce what the killed
        // driver logged for them (same broadcast parameters, same batches: a pure function of the seed).
        List<JsonNode> after = metrics("/runs/killed/metrics.jsonl");
        assertEquals(List.of(5L, 10L, 15L, 20L, 25L, 30L), after.stream().map(n -> n.get("step").asLong()).toList());
        for (long step : List.of(15L, 20L)) {
            assertEquals(at(before, step).get("train_loss").asDouble(), at(after, step).get("train_loss").asDouble(),
                    1e-4, "train loss at step " + step);
        }
        assertEquals(at(before, 20).get("val_loss").asDouble(), at(after, 20).get("val_loss").asDouble(), 1e-4);
        assertEquals(30L * 2 * 4 * 32, at(after, 30).get("tokens").asLong());
    }
}
