package io.sparkformer.job.cluster;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One executor JVM of a standalone cluster ({@link StandaloneCluster}: Master and two Workers in
 * their own JVMs) killed with SIGKILL in the middle of an averaging round, while its task trains.
 * Parameter averaging in DL4J aggregates a round only once every partition has returned a result,
 * and Spark reruns a lost task (up to {@code spark.task.maxFailures} attempts) from the same
 * broadcast parameters; the rerun recomputes the worker's batches from the plan (they were cached on
 * the dead executor). So the round counts each worker exactly once and the run should end where an
 * undisturbed run of the same config ends, up to float rounding.
 *
 * <p>The executors log every step at DEBUG ({@code GlobalStepHook}); the test waits for one to start
 * step 17 of the round 16-30, freezes that JVM (SIGSTOP), checks that it has not finished the round,
 * and kills it (SIGKILL). The run must end as an undisturbed one within {@link ExecutorSteps#SAME_RUN}.
 */
class ExecutorLossIT {
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static File base;
    private static MiniHdfs hdfs;
    private static StandaloneCluster cluster;
    private static Path executorLogConfig;

    @BeforeAll
    static void startCluster() throws Exception {
        hdfs = new MiniHdfs(new File(base, "dfs"), new Configuration());
        cluster = StandaloneCluster.start(base, 2);
        executorLogConfig = ExecutorSteps.stepLogConfig(base.toPath());
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
        if (hdfs != null) {
            hdfs.close();
        }
    }

    private static List<String> flags() {
        return List.of("--conf", "spark.executorEnv.LOG4J_CONFIGURATION_FILE=" + executorLogConfig,
                // Spark's default on a cluster, stated: a lost task gets 3 more attempts.
                "--conf", "spark.task.maxFailures=4");
    }

    /** gpt-tiny, 2 workers, two rounds of 15 steps (1-15, 16-30), evaluated after each, checkpointed at the end. */
    private static List<String> train(String corpus, String run) {
        return List.of("train", "--config", ClusterProcesses.projectRoot().resolve("conf/gpt-tiny.conf").toString(),
                "--corpus", hdfs.uri + corpus, "--out", hdfs.uri + run, "--set", "spark.workers=2",
                "--set", "train.batchSize=4", "--set", "train.steps=30", "--set", "spark.averagingFrequency=15",
                "--set", "train.evalEvery=15", "--set", "train.checkpointEvery=30", "--set", "train.warmupSteps=5");
    }

    @Test
    void anExecutorKilledMidRoundIsRetriedAndTheRunEndsAsAnUndisturbedOne() throws Exception {
        assertEquals(0, cluster.run("steady", flags(), train(MiniHdfs.CORPUS, "/runs/steady"), Duration.ofMinutes(6)),
                "undisturbed run; log:\n" + StandaloneCluster.tail(cluster.processes.logText("steady")));

        Set<Path> earlierLogs = Set.copyOf(cluster.executorLogFiles());
        // The data the undisturbed run prepared (the same windows either way; saves a prepare).
        Process driver = cluster.submit("killed", flags(), train("/runs/steady/data", "/runs/killed"));
        ExecutorSteps.Executor victim = ExecutorSteps.awaitStep(17, cluster::executorLogFiles, earlierLogs, driver,
                () -> cluster.processes.logText("killed"), Duration.ofMinutes(6));
        long pid = victim.pid();
        ProcessHandle executor = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no process " + pid));
        // ProcessHandle.Info truncates long command lines; /proc has all of it.
        String commandLine = new String(Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline")),
                StandardCharsets.UTF_8);
        assertTrue(commandLine.contains("org.apache.spark.executor.CoarseGrainedExecutorBackend"),
                "pid " + pid + " is an executor JVM");
        ExecutorSteps.signal("STOP", pid);
        long lastStep = victim.lastStep();
        assertTrue(lastStep >= 17 && lastStep < 30, "frozen inside the round's training (last step " + lastStep + ")");
        ExecutorSteps.signal("KILL", pid);
        assertTrue(executor.onExit().get(1, TimeUnit.MINUTES) != null && !executor.isAlive(), "executor gone");

        assertEquals(0, cluster.await("killed", driver, Duration.ofMinutes(6)), "run with the killed executor; log:\n"
                + StandaloneCluster.tail(cluster.processes.logText("killed")));
        String driverLog = cluster.processes.logText("killed");
        assertTrue(driverLog.contains("ExecutorLostFailure"), "Spark saw a running task lost with its executor:\n"
                + StandaloneCluster.tail(driverLog));
        // The retried task recomputed worker's batches of the round (in the other or a new executor JVM).
        List<Long> retriedIn = ExecutorSteps.retriedIn(cluster.executorLogFiles(), "16-30");
        assertEquals(1, retriedIn.size(), "one retried worker task: " + retriedIn + "\n" + cluster.executorLogs());
        assertFalse(retriedIn.contains(pid), "not in the killed JVM");

        ExecutorSteps.assertSameRun(hdfs, "/runs/steady", "/runs/killed", 30);
    }
}
