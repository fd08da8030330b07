package io.sparkformer.job.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.job.Cli;
import io.sparkformer.job.LogLines;
import io.sparkformer.job.TestCorpus;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.protocol.HdfsConstants;
import org.apache.hadoop.security.UserGroupInformation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.PrivilegedExceptionAction;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Storage faults during a run, made real on a MiniDFSCluster: a permission taken away from the
 * job's user, HDFS safe mode. The namenode runs as user {@code hdfs}, so the test JVM's own user
 * (which trains) is an ordinary HDFS user that permissions apply to, while the test changes them
 * as the superuser. Each test asserts the exit code, the message, and that nothing already written
 * was lost. Saves are stopped at a known point with the checkpoint hold of {@code CheckpointWriteHold}.
 */
class StorageFaultsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static File base;
    private static MiniDFSCluster cluster;
    private static DistributedFileSystem admin;   // the HDFS superuser
    private static String hdfs;
    private static java.nio.file.Path holds;

    @BeforeAll
    static void startHdfs() throws Exception {
        Configuration conf = new Configuration();
        conf.set("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", "10");
        conf.setBoolean("dfs.permissions.enabled", true);
        UserGroupInformation superuser = UserGroupInformation.createRemoteUser("hdfs");
        cluster = superuser.doAs((PrivilegedExceptionAction<MiniDFSCluster>) () -> {
            MiniDFSCluster c = new MiniDFSCluster.Builder(conf, new File(base, "dfs")).numDataNodes(1).build();
            c.waitActive();   // asks for datanode reports: the superuser's call
            return c;
        });
        hdfs = "hdfs://localhost:" + cluster.getNameNodePort();
        admin = superuser.doAs((PrivilegedExceptionAction<DistributedFileSystem>) () ->
                (DistributedFileSystem) FileSystem.newInstance(new java.net.URI(hdfs), conf));
        String text = TestCorpus.shakespeare(60000);
        try (var out = admin.create(new Path("/corpus/shakespeare.txt"))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        admin.mkdirs(new Path("/runs"));
        admin.setPermission(new Path("/runs"), new FsPermission((short) 0777));
        holds = new File(base, "holds").toPath();
        Files.createDirectories(holds);
        System.setProperty("spark.master", "local[2]");
        System.setProperty("spark.ui.enabled", "false");
        System.setProperty("sparkformer.test.checkpointHoldDir", holds.toString());
    }

    @AfterAll
    static void stopHdfs() throws Exception {
        System.clearProperty("sparkformer.test.checkpointHoldDir");
        System.clearProperty("spark.master");
        if (admin != null) {
            admin.close();
        }
        if (cluster != null) {
            UserGroupInformation.createRemoteUser("hdfs").doAs((PrivilegedExceptionAction<Void>) () -> {
                cluster.shutdown();
                return null;
            });
        }
    }

    private static String[] train(String out, int steps, int checkpointEvery, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--config", new File("../conf/gpt-tiny.conf").getAbsolutePath(),
                "--corpus", hdfs + "/corpus/shakespeare.txt", "--out", out, "--set", "train.steps=" + steps,
                "--set", "train.evalEvery=5", "--set", "train.checkpointEvery=" + checkpointEvery,
                "--set", "train.keepCheckpoints=10", "--set", "train.checkpointEveryMinutes=0"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    /** Places a hold on the save of {@code checkpoint}: it waits after its model.zip until released. */
    private static java.nio.file.Path hold(String checkpoint) throws Exception {
        java.nio.file.Path hold = holds.resolve(checkpoint + ".hold");
        Files.writeString(hold, "");
        Files.deleteIfExists(holds.resolve(checkpoint + ".reached"));
        return hold;
    }

    private static void awaitReached(String checkpoint, CompletableFuture<Cli.Result> run) throws Exception {
        java.nio.file.Path reached = holds.resolve(checkpoint + ".reached");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!Files.exists(reached)) {
            if (run.isDone()) {
                throw new AssertionError("the run ended before the save of " + checkpoint + ": " + run.get().err());
            }
            assertTrue(System.nanoTime() < deadline, "the save of " + checkpoint + " was never reached");
            Thread.sleep(20);
        }
    }

    /** Every file under {@code dir} with its length, ignoring nothing. */
    private static TreeMap<String, Long> files(String dir) throws Exception {
        TreeMap<String, Long> files = new TreeMap<>();
        var it = admin.listFiles(new Path(dir), true);
        while (it.hasNext()) {
            FileStatus s = it.next();
            files.put(s.getPath().toUri().getPath(), s.getLen());
        }
        return files;
    }

    private static String read(String path) throws Exception {
        try (var in = admin.open(new Path(path))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<Long> metricSteps(String out) throws Exception {
        List<Long> steps = new ArrayList<>();
        for (String line : read(out + "/metrics.jsonl").strip().split("\n")) {
            steps.add(JSON.readTree(line).get("step").asLong());
        }
        return steps;
    }

    private static List<String> checkpointEntries(String out) throws Exception {
        List<String> names = new ArrayList<>();
        for (FileStatus s : admin.listStatus(new Path(out, "checkpoints"))) {
            names.add(s.getPath().getName());
        }
        names.sort(null);
        return names;
    }

    private static long count(List<String> lines, String text) {
        return lines.stream().filter(l -> l.contains(text)).count();
    }

    @Test
    void metricsAndPlotThatCannotBeWrittenAreReportedOnceAndDoNotStopTraining() throws Exception {
        String out = hdfs + "/runs/aux";
        java.nio.file.Path hold10 = hold("step-000010");
        java.nio.file.Path hold20 = hold("step-000020");
        try (LogLines log = new LogLines("io.sparkformer")) {
            CompletableFuture<Cli.Result> run = CompletableFuture.supplyAsync(() -> Cli.run(train(out, 25, 10)));
            // Write permission on the run directory lost from the save of step 10 to the save of step 20:
            // metrics.jsonl and loss.png (in the run directory) fail at steps 15 and 20, checkpoints/ does not.
            awaitReached("step-000010", run);
            admin.setPermission(new Path("/runs/aux"), new FsPermission((short) 0555));
            Files.delete(hold10);
            awaitReached("step-000020", run);
            admin.setPermission(new Path("/runs/aux"), new FsPermission((short) 0755));
            Files.delete(hold20);
            Cli.Result r = run.get(10, TimeUnit.MINUTES);

            assertEquals(0, r.code(), r.err());
            List<String> lines = log.lines();
            assertEquals(1, count(lines, "WARN cannot write " + out + "/metrics.jsonl (org.apache.hadoop.security"
                    + ".AccessControlException: Permission denied: user="), String.join("\n", lines));
            assertEquals(1, count(lines, "WARN cannot write " + out + "/loss.png (org.apache.hadoop.security"
                    + ".AccessControlException: Permission denied: user="), String.join("\n", lines));
            assertTrue(lines.contains("INFO " + out + "/metrics.jsonl written again after the failure reported above"),
                    String.join("\n", lines));
            assertTrue(lines.contains("INFO " + out + "/loss.png written again after the failure reported above"),
                    String.join("\n", lines));
        }
        // The lines of steps 15 and 20, written in neither failed attempt, arrived with the next write.
        assertEquals(List.of(5L, 10L, 15L, 20L, 25L), metricSteps(out));
        assertTrue(admin.getFileStatus(new Path(out, "loss.png")).getLen() > 0);
        assertEquals(List.of("LATEST", "step-000010", "step-000020", "step-000025"), checkpointEntries(out));
        assertEquals("step-000025", read(out + "/checkpoints/LATEST").strip());
    }

    @Test
    void aCheckpointSaveIsRetriedUntilHdfsLeavesSafeMode() throws Exception {
        String out = hdfs + "/runs/safemode";
        java.nio.file.Path hold10 = hold("step-000010");
        try (LogLines log = new LogLines("io.sparkformer")) {
            CompletableFuture<Cli.Result> run = CompletableFuture.supplyAsync(() -> Cli.run(train(out, 15, 5,
                    "--set", "train.checkpointRetries=3", "--set", "train.checkpointRetrySeconds=1")));
            awaitReached("step-000010", run);
            // Safe mode from the middle of the save of step 10 for 2.5 s: the attempts at 0 s and 1 s
            // fail, the one at 3 s (retries wait 1 s, then 2 s) succeeds.
            admin.setSafeMode(HdfsConstants.SafeModeAction.SAFEMODE_ENTER);
            Files.delete(hold10);
            Thread.sleep(2500);
            admin.setSafeMode(HdfsConstants.SafeModeAction.SAFEMODE_LEAVE);
            Cli.Result r = run.get(10, TimeUnit.MINUTES);

            assertEquals(0, r.code(), r.err());
            List<String> lines = log.lines();
            assertEquals(1, count(lines, "WARN cannot save checkpoint " + out + "/checkpoints/step-000010 (attempt 1 of"
                    + " 4): org.apache.hadoop.hdfs.server.namenode.SafeModeException: Cannot "), String.join("\n", lines));
            assertTrue(count(lines, "; retrying in 1 s") == 1, String.join("\n", lines));
            assertEquals(1, count(lines, "INFO Checkpoint step-000010 written"), String.join("\n", lines));
        }
        // Every checkpoint there, the interrupted attempts' temporary directories pruned, LATEST the last.
        assertEquals(List.of("LATEST", "step-000005", "step-000010", "step-000015"), checkpointEntries(out));
        assertEquals("step-000015", new CheckpointStore(out, new Configuration(), 1).latest().orElseThrow());
        assertEquals(List.of(5L, 10L, 15L), metricSteps(out));
    }

    @Test
    void aCheckpointThatCannotBeWrittenStopsTheRunWithExit1AfterItsRetriesKeepingEarlierCheckpoints()
            throws Exception {
        String out = hdfs + "/runs/lost";
        java.nio.file.Path hold10 = hold("step-000010");
        TreeMap<String, Long> before;
        Cli.Result r;
        try (LogLines log = new LogLines("io.sparkformer")) {
            CompletableFuture<Cli.Result> run = CompletableFuture.supplyAsync(() -> Cli.run(train(out, 20, 5,
                    "--set", "train.checkpointRetries=1", "--set", "train.checkpointRetrySeconds=1")));
            awaitReached("step-000010", run);
            before = files("/runs/lost/checkpoints/step-000005");
            // The job's user loses write permission on checkpoints/ in the middle of the save of step 10.
            admin.setPermission(new Path("/runs/lost/checkpoints"), new FsPermission((short) 0555));
            Files.delete(hold10);
            r = run.get(10, TimeUnit.MINUTES);
            assertEquals(1, count(log.lines(), "WARN cannot save checkpoint " + out + "/checkpoints/step-000010"
                    + " (attempt 1 of 2): org.apache.hadoop.security.AccessControlException: Permission denied: user="),
                    String.join("\n", log.lines()));
        }
        assertEquals(1, r.code(), r.err());
        String failed = r.err().lines().filter(l -> l.startsWith("sparkformer train: failed: ")).findFirst().orElseThrow(
                () -> new AssertionError("no failure line in " + r.err()));
        assertTrue(failed.startsWith("sparkformer train: failed: cannot save checkpoint " + out
                + "/checkpoints/step-000010 after 2 attempts: org.apache.hadoop.security.AccessControlException:"
                + " Permission denied: user="), failed);
        assertFalse(r.err().contains("error:"), "not reported as bad input: " + r.err());

        admin.setPermission(new Path("/runs/lost/checkpoints"), new FsPermission((short) 0755));
        assertEquals(before, files("/runs/lost/checkpoints/step-000005"), "step 5 kept byte for byte");
        assertEquals("step-000005", read(out + "/checkpoints/LATEST").strip());
        assertEquals("step-000005", new CheckpointStore(out, new Configuration(), 1).latest().orElseThrow());
        assertEquals(List.of(5L, 10L), metricSteps(out), "metrics up to the failed save kept");
    }

    @Test
    void anUnreadableNewestCheckpointStopsTheResumeInsteadOfFallingBackToAnOlderOne() throws Exception {
        String out = hdfs + "/runs/unreadable";
        assertEquals(0, Cli.run(train(out, 10, 5)).code());
        TreeMap<String, Long> before = files("/runs/unreadable");
        Path model = new Path("/runs/unreadable/checkpoints/step-000010/model.zip");
        admin.setPermission(model, new FsPermission((short) 0000));   // e.g. a permission change by another tool

        Cli.Result r;
        try (LogLines log = new LogLines("io.sparkformer")) {
            r = Cli.run(train(out, 10, 5));   // the same command: resumes
            assertEquals(0, count(log.lines(), "skipping checkpoint"), String.join("\n", log.lines()));
            assertEquals(0, count(log.lines(), "loaded checkpoint"), String.join("\n", log.lines()));
        }
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("sparkformer train: failed: cannot read checkpoint " + out
                + "/checkpoints/step-000010: org.apache.hadoop.security.AccessControlException: Permission denied:"
                + " user="), r.err());

        admin.setPermission(model, new FsPermission((short) 0644));
        TreeMap<String, Long> after = files("/runs/unreadable");
        after.remove("/runs/unreadable/run.json");
        before.remove("/runs/unreadable/run.json");
        assertEquals(before, after, "nothing deleted or rewritten");
        assertEquals("step-000010", new CheckpointStore(out, new Configuration(), 1).latest().orElseThrow());
    }
}
