package io.sparkformer.job.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An executor container preempted by YARN in the middle of an averaging round. The shaded app jar is
 * submitted by submit/yarn.sh (client mode) to a MiniYARNCluster, as in {@link YarnClusterIT}. Once an
 * executor has started step 12 of the round 11-20, the test freezes its JVM (SIGSTOP, so that the
 * round cannot finish meanwhile) and has the ResourceManager's capacity scheduler kill the container
 * as preempted ({@code markContainerForKillable}, what the preemption monitor does once a marked
 * container's grace time is over): the NodeManager kills the JVM and the application master is told
 * the container ended with exit status PREEMPTED. Spark counts that loss against no one, reruns the
 * task from the same broadcast parameters, and the run must end where an undisturbed run ends.
 */
class YarnExecutorPreemptionIT {
    private static final Pattern STEP = Pattern.compile("step (\\d+) starts in pid (\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** As in ExecutorLossIT: float rounding only (the retried worker replays the same batches). */
    private static final double SAME_RUN = 1e-4;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static File base;
    private static MiniYarn cluster;
    private static ClusterProcesses processes;
    private static Path executorLogConfig;

    @BeforeAll
    static void startClusters() throws Exception {
        cluster = MiniYarn.start(base, YarnExecutorPreemptionIT.class.getSimpleName());
        processes = new ClusterProcesses(base.toPath().resolve("logs"));
        // The executors' usual log config plus each step at DEBUG (the NodeManager runs on this machine).
        try (InputStream in = YarnExecutorPreemptionIT.class.getResourceAsStream("/log4j2-test.properties")) {
            executorLogConfig = base.toPath().resolve("executor-log4j2.properties");
            Files.writeString(executorLogConfig, new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    + "\nlogger.steps.name = io.sparkformer.job.train.GlobalStepHook\nlogger.steps.level = debug\n");
        }
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

    /** gpt-tiny on 2 executors, two rounds of 10 steps (1-10, 11-20), evaluated after each. */
    private static List<String> yarnSh(String name, String corpus, String run) {
        return cluster.yarnSh("client", name, List.of("spark.executorEnv.LOG4J_CONFIGURATION_FILE=" + executorLogConfig),
                List.of("train", "--config", ClusterProcesses.projectRoot().resolve("conf/gpt-tiny.conf").toString(),
                        "--corpus", cluster.hdfs.uri + corpus, "--out", cluster.hdfs.uri + run,
                        "--set", "spark.workers=2", "--set", "train.batchSize=4", "--set", "train.steps=20",
                        "--set", "spark.averagingFrequency=10", "--set", "train.evalEvery=10",
                        "--set", "train.checkpointEvery=20", "--set", "train.warmupSteps=5"));
    }

    private static Process submit(String name, List<String> command) {
        return cluster.submit(processes, name, command);
    }

    /** The containers' stderr files (executors and application masters of every application so far). */
    private static List<Path> containerLogs() {
        try (Stream<Path> files = Files.walk(cluster.yarn.getTestWorkDir().toPath())) {
            return files.filter(p -> p.getFileName().toString().equals("stderr")
                    && p.getParent().getFileName().toString().startsWith("container_")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<JsonNode> metrics(String run) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : cluster.hdfs.read(run + "/metrics.jsonl").strip().split("\n")) {
            lines.add(JSON.readTree(line));
        }
        return lines;
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
        long[] victim = new long[1];
        Path[] victimLog = new Path[1];
        ClusterProcesses.waitUntil("an executor to start step 12", Duration.ofMinutes(4), () -> {
            if (!driver.isAlive()) {
                throw new AssertionError("the driver exited early; log:\n" + tail(processes.logText("preempted")));
            }
            for (Path f : containerLogs()) {
                if (!earlierLogs.contains(f)) {
                    Matcher m = STEP.matcher(read(f));
                    while (m.find()) {
                        if (m.group(1).equals("12")) {
                            victim[0] = Long.parseLong(m.group(2));
                            victimLog[0] = f;
                            return true;
                        }
                    }
                }
            }
            return false;
        });
        long pid = victim[0];
        ProcessHandle executor = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no process " + pid));
        new ProcessBuilder("kill", "-STOP", String.valueOf(pid)).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
        long lastStep = 0;
        Matcher m = STEP.matcher(read(victimLog[0]));
        while (m.find()) {
            lastStep = Long.parseLong(m.group(1));
        }
        assertTrue(lastStep >= 12 && lastStep < 20, "frozen inside the round's training (last step " + lastStep + ")");

        ContainerId containerId = ContainerId.fromString(victimLog[0].getParent().getFileName().toString());
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
        Pattern retried = Pattern.compile("Worker \\d: steps 11-20 in executor \\S+ \\(pid (\\d+), [^)]*\\), task "
                + "attempt 2 after a failure");
        List<Long> retriedIn = new ArrayList<>();
        for (Path f : containerLogs()) {
            Matcher r = retried.matcher(read(f));
            while (r.find()) {
                retriedIn.add(Long.parseLong(r.group(1)));
            }
        }
        assertEquals(1, retriedIn.size(), "one retried worker task: " + retriedIn);
        assertFalse(retriedIn.contains(pid), "not in the preempted JVM");

        List<JsonNode> undisturbed = metrics("/runs/steady");
        List<JsonNode> preempted = metrics("/runs/preempted");
        assertEquals(undisturbed.size(), preempted.size(), "one metrics line per round in both runs");
        for (int i = 0; i < undisturbed.size(); i++) {
            JsonNode a = undisturbed.get(i);
            JsonNode b = preempted.get(i);
            assertEquals(a.get("step").asLong(), b.get("step").asLong());
            assertEquals(a.get("tokens").asLong(), b.get("tokens").asLong(), "tokens counted once per worker");
            assertEquals(a.get("train_loss").asDouble(), b.get("train_loss").asDouble(), SAME_RUN,
                    "train loss at step " + a.get("step"));
            assertEquals(a.get("val_loss").asDouble(), b.get("val_loss").asDouble(), SAME_RUN,
                    "validation loss at step " + a.get("step"));
        }
        assertEquals(20, preempted.get(preempted.size() - 1).get("step").asLong());
        assertEquals("step-000020", cluster.hdfs.read("/runs/preempted/checkpoints/LATEST").strip());
    }
}
