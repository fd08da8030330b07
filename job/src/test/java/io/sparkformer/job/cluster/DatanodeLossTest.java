package io.sparkformer.job.cluster;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.job.Cli;
import io.sparkformer.job.LogLines;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.BlockLocation;
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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An HDFS datanode stops while a checkpoint is being written: two datanodes, every block on both
 * (replication 2), {@code train} in this JVM (Spark local[2]). The test-only hold of
 * {@code CheckpointWriteHold} stops the save of step 20 after model.zip; the test stops a datanode
 * there and lets the save go on. The namenode still counts the stopped datanode as alive (it
 * notices only after the heartbeat timeout, 10.5 minutes by default), so the files written after
 * the stop get pipelines that include it, and the client has to exclude it.
 */
class DatanodeLossTest {
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static File base;
    private static MiniHdfs hdfs;

    @BeforeAll
    static void startHdfs() throws Exception {
        hdfs = new MiniHdfs(new File(base, "dfs"), new Configuration(), 2);
        System.setProperty("spark.master", "local[2]");
        System.setProperty("spark.ui.enabled", "false");
        System.setProperty("spark.hadoop.dfs.replication", "2");
    }

    @AfterAll
    static void stopHdfs() {
        System.clearProperty(HOLD_PROPERTY);
        System.clearProperty("spark.master");
        System.clearProperty("spark.hadoop.dfs.replication");
        if (hdfs != null) {
            hdfs.close();
        }
    }

    private static final String HOLD_PROPERTY = "sparkformer.test.checkpointHoldDir";

    @Test
    void aCheckpointWrittenWhileADatanodeStopsIsCompleteAndReadable() throws Exception {
        String run = hdfs.uri + "/runs/datanode";
        File holds = new File(base, "holds");
        Files.createDirectories(holds.toPath());
        File hold = new File(holds, "step-000020.hold");
        File reached = new File(holds, "step-000020.reached");
        Files.writeString(hold.toPath(), "held by " + getClass().getSimpleName());
        System.setProperty(HOLD_PROPERTY, holds.getPath());

        List<String> log;
        List<String> hdfsClientLog;
        Cli.Result result;
        String dead;
        try (LogLines lines = new LogLines("io.sparkformer");
             LogLines client = new LogLines("org.apache.hadoop.hdfs.DataStreamer")) {
            CompletableFuture<Cli.Result> training = CompletableFuture.supplyAsync(() -> Cli.run("train", "--config",
                    ClusterProcesses.projectRoot().resolve("conf/gpt-tiny.conf").toString(),
                    "--corpus", hdfs.uri + MiniHdfs.CORPUS, "--out", run, "--set", "spark.workers=2",
                    "--set", "train.batchSize=4", "--set", "train.steps=30", "--set", "train.evalEvery=10",
                    "--set", "train.checkpointEvery=10", "--set", "train.warmupSteps=5"));
            ClusterProcesses.waitUntil("the save of step-000020 to reach the hold", Duration.ofMinutes(6),
                    () -> reached.exists() || training.isDone());
            assertTrue(reached.exists(), "training ended before the hold: " + (training.isDone() ? training.join() : ""));
            dead = hdfs.cluster.getDataNodes().get(0).getDatanodeId().getXferAddr();
            assertTrue(hdfs.cluster.stopDataNode(0) != null, "a datanode was stopped");
            Files.delete(hold.toPath());
            result = training.get(6, TimeUnit.MINUTES);
            log = lines.lines();
            hdfsClientLog = client.lines();
        } finally {
            System.clearProperty(HOLD_PROPERTY);
        }
        assertEquals(0, result.code(), "train exit code; stderr: " + result.err());
        assertTrue(hdfsClientLog.stream().anyMatch(l -> l.startsWith("WARN Excluding datanode") && l.contains(dead)),
                "the HDFS client met the stopped datanode in a write pipeline and excluded it: " + hdfsClientLog);
        assertTrue(log.stream().anyMatch(l -> l.startsWith("INFO saved checkpoint " + run + "/checkpoints/step-000020 ")),
                String.join("\n", log));

        // Read back with the datanode still down: the manifest verifies every file's length and SHA-256.
        CheckpointStore store = new CheckpointStore(run, hdfs.cluster.getConfiguration(0), 2);
        Checkpoint checkpoint = store.load("step-000020");
        assertEquals(20, checkpoint.state().step());
        assertEquals("step-000030", store.latest().orElseThrow(), "training went on past the lost datanode");

        // Every file of step-000020 has a replica on the surviving datanode; those written before the
        // stop also name the stopped one (which is how the reads above had to skip it).
        String live = hdfs.cluster.getDataNodes().get(0).getDatanodeId().getXferAddr();
        FileSystem fs = hdfs.fs();
        for (FileStatus f : fs.listStatus(new Path("/runs/datanode/checkpoints/step-000020"))) {
            for (BlockLocation block : fs.getFileBlockLocations(f, 0, f.getLen())) {
                assertTrue(Arrays.asList(block.getNames()).contains(live), f.getPath().getName() + " on " + live
                        + ": " + Arrays.toString(block.getNames()));
            }
        }
        FileStatus model = fs.getFileStatus(new Path("/runs/datanode/checkpoints/step-000020/model.zip"));
        assertTrue(Arrays.asList(fs.getFileBlockLocations(model, 0, model.getLen())[0].getNames()).contains(dead),
                "model.zip, written before the stop, has its second replica on the stopped datanode");
    }
}
