package io.sparkformer.job.cluster;

import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.server.resourcemanager.rmcontainer.RMContainer;
import org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An executor container preempted by YARN in the middle of an averaging round. The shaded app jar is
 * submitted by submit/yarn.sh (client mode) to a MiniYARNCluster, as in {@link YarnClusterIT}. Once an
 * executor has started step 22 of the round 21-40, the test freezes its JVM (SIGSTOP, so that the
 * round cannot finish meanwhile) and has the ResourceManager's capacity scheduler kill the container
 * as preempted ({@code markContainerForKillable}, what the preemption monitor does once a marked
 * container's grace time is over): the NodeManager kills the JVM and the application master is told
 * the container ended with exit status PREEMPTED. Spark counts that loss against no one, reruns the
 * task from the same broadcast parameters, and the run must end where an undisturbed run ends
 * (within {@link ExecutorSteps#SAME_RUN}).
 */
class YarnExecutorPreemptionIT {
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static File base;
    private static MiniYarn cluster;
    private static ClusterProcesses processes;
    private static Path executorLogConfig;

    @BeforeAll
    static void startClusters() throws Exception {
        cluster = MiniYarn.start(base, YarnExecutorPreemptionIT.class.getSimpleName());
        processes = new ClusterProcesses(base.toPath().resolve("logs"));
        // Each step at DEBUG (the NodeManager runs on this machine, so the containers read this file).
        executorLogConfig = ExecutorSteps.stepLogConfig(base.toPath());
    }

    @AfterAll
    static void stopClusters() {
        if (processes != null) {
            processes.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * gpt-tiny on 2 executors, two rounds of 20 steps (1-20, 21-40), evaluated after each: the 18 steps
     * left after step 22 starts outlast finding it in the log and stopping the JVM (with rounds of 10,
     * polled every 200 ms, an executor once finished the round first: its steps 12-20 took under 2 s).
     */
    private static List<String> yarnSh(String name, String corpus, String run) {
        return cluster.yarnSh("client", name, List.of("spark.executorEnv.LOG4J_CONFIGURATION_FILE=" + executorLogConfig),
                List.of("train", "--config", ClusterProcesses.projectRoot().resolve("conf/gpt-tiny.conf").toString(),
                        "--corpus", cluster.hdfs.uri + corpus, "--out", cluster.hdfs.uri + run,
                        "--set", "spark.workers=2", "--set", "train.batchSize=4", "--set", "train.steps=40",
                        "--set", "spark.averagingFrequency=20", "--set", "train.evalEvery=20",
                        "--set", "train.checkpointEvery=40", "--set", "train.warmupSteps=5"));
    }

    private static Process submit(String name, List<String> command) {
        return cluster.submit(processes, name, command);
    }

    /** The containers' stderr files (executors and application masters of every application so far). */
    private static List<Path> containerLogs() {
        return cluster.containerStderrFiles();
    }

    private static ApplicationReport report(String name) throws Exception {
        try (YarnClient client = YarnClient.createYarnClient()) {
            client.init(cluster.yarn.getConfig());
            client.start();
            return client.getApplications().stream().filter(a -> a.getName().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("no YARN application named " + name));
        }
    }

    private static String tail(String log) {
        return log.length() > 6000 ? log.substring(log.length() - 6000) : log;
    }

    @Test
    void aPreemptedExecutorContainerIsReplacedAndTheRunEndsAsAnUndisturbedOne() throws Exception {
        Process steady = submit("steady", yarnSh("sparkformer-steady", MiniHdfs.CORPUS, "/runs/steady"));
        assertEquals(0, ClusterProcesses.await(steady, Duration.ofMinutes(4)),
                "undisturbed run; log:\n" + tail(processes.logText("steady")));

        Set<Path> earlierLogs = Set.copyOf(containerLogs());
        // The windows the undisturbed run prepared (the same either way; saves a prepare).
        Process driver = submit("preempted", yarnSh("sparkformer-preempted", "/runs/steady/data", "/runs/preempted"));
        ExecutorSteps.Executor victim = ExecutorSteps.awaitStep(22, YarnExecutorPreemptionIT::containerLogs, earlierLogs,
                driver, () -> tail(processes.logText("preempted")), Duration.ofMinutes(4));
        long pid = victim.pid();
        ProcessHandle executor = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no process " + pid));
        ExecutorSteps.signal("STOP", pid);
        long lastStep = victim.lastStep();
        assertTrue(lastStep >= 22 && lastStep < 40, "frozen inside the round's training (last step " + lastStep + ")");

        ContainerId containerId = ContainerId.fromString(victim.log().getParent().getFileName().toString());
        CapacityScheduler scheduler = (CapacityScheduler) cluster.yarn.getResourceManager().getResourceScheduler();
        RMContainer container = scheduler.getRMContainer(containerId);
        assertTrue(container != null, "the ResourceManager knows container " + containerId);
        scheduler.markContainerForKillable(container);
        assertTrue(executor.onExit().get(1, TimeUnit.MINUTES) != null && !executor.isAlive(),
                "the NodeManager killed the preempted executor JVM " + pid);

        assertEquals(0, ClusterProcesses.await(driver, Duration.ofMinutes(4)), "run with the preempted executor; log:\n"
                + tail(processes.logText("preempted")));
        ApplicationReport app = report("sparkformer-preempted");
        assertEquals(FinalApplicationStatus.SUCCEEDED, app.getFinalApplicationStatus(), app.getDiagnostics());
        String driverLog = processes.logText("preempted");
        assertTrue(driverLog.contains(containerId + " on host") && driverLog.contains("was preempted"),
                "Spark saw the container preempted:\n" + tail(driverLog));
        // The retried task recomputed the worker's batches of the round in another executor JVM.
        List<Long> retriedIn = ExecutorSteps.retriedIn(containerLogs(), "21-40");
        assertEquals(1, retriedIn.size(), "one retried worker task: " + retriedIn);
        assertFalse(retriedIn.contains(pid), "not in the preempted JVM");

        ExecutorSteps.assertSameRun(cluster.hdfs, "/runs/steady", "/runs/preempted", 40);
    }
}
