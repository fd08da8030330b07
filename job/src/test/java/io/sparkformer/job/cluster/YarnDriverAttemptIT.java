package io.sparkformer.job.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.job.Cli;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real second YARN attempt: {@code train} submitted in cluster mode with
 * {@code spark.yarn.maxAppAttempts=2} to a MiniYARNCluster (run directory on MiniDFS); once attempt 1
 * has written its first checkpoint the test SIGKILLs its driver (the application master's JVM).
 * YARN starts attempt 2 with the same arguments; it resumes the run from the newest complete
 * checkpoint, finishes, and its losses equal an undisturbed run's to the printed digits. The
 * clusters are set up as in YarnClusterIT (same sizes and settings), and as there the shaded app jar
 * is submitted through the test Spark distribution's {@code bin/spark-submit}.
 */
class YarnDriverAttemptIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NAME = "sparkformer-yarn-attempts";
    private static final int STEPS = 40;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static File base;
    private static MiniYarn cluster;
    private static ClusterProcesses processes;

    @BeforeAll
    static void startClusters() throws Exception {
        cluster = MiniYarn.start(base, YarnDriverAttemptIT.class.getSimpleName());
        processes = new ClusterProcesses(base.toPath().resolve("logs"));
    }

    @AfterAll
    static void stopClusters() {
        if (processes != null) {
            processes.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        System.clearProperty("spark.master");
    }

    private static List<String> trainArgs(String config, String run) {
        return List.of("train", "--config", config, "--corpus", cluster.hdfs.uri + MiniHdfs.CORPUS, "--out", run,
                "--set", "spark.workers=2", "--set", "train.batchSize=4", "--set", "train.steps=" + STEPS,
                "--set", "train.evalEvery=10", "--set", "train.checkpointEvery=10", "--set", "train.warmupSteps=5");
    }

    /** submit/yarn.sh in cluster mode, allowing two attempts. */
    private static Process submit(String run) {
        return cluster.submit(processes, "yarn-attempts", cluster.yarnSh("cluster", NAME,
                List.of("spark.yarn.maxAppAttempts=2"), trainArgs("../conf/gpt-tiny.conf", run)));
    }

    private static ApplicationReport report() throws Exception {
        try (YarnClient client = YarnClient.createYarnClient()) {
            client.init(cluster.yarn.getConfig());
            client.start();
            return client.getApplications().stream().filter(a -> a.getName().equals(NAME)).findFirst()
                    .orElseThrow(() -> new AssertionError("no YARN application named " + NAME));
        }
    }

    /** The JVM of this application's driver: the application master launched for it by the NodeManager. */
    private static List<ProcessHandle> driverJvms(String applicationId) {
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains("org.apache.spark.deploy.yarn.ApplicationMaster") && c.contains(applicationId)
                        && c.startsWith(System.getProperty("java.home")))
                .orElse(false)).toList();
    }

    /** What the application's containers wrote to stderr (the driver logs there). */
    private static String containerLogs(String applicationId) {
        StringBuilder text = new StringBuilder();
        for (java.nio.file.Path f : cluster.containerStderrFiles(applicationId)) {
            text.append(StandaloneCluster.read(f));
        }
        return text.toString();
    }

    private List<JsonNode> metrics(String path) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : cluster.hdfs.read(path + "/metrics.jsonl").strip().split("\n")) {
            lines.add(JSON.readTree(line));
        }
        return lines;
    }

    private static String printed(JsonNode line, String field) {
        return line.has(field) ? String.format(Locale.ROOT, "%.4f", line.get(field).asDouble()) : "-";
    }

    @Test
    void aSecondAttemptAfterTheDriverIsKilledResumesAndReproducesTheLosses() throws Exception {
        String run = "/runs/attempts";
        Process submitter = submit(cluster.hdfs.uri + run);
        ClusterProcesses.waitUntil("attempt 1 to write its first checkpoint", Duration.ofMinutes(5), () -> {
            if (!submitter.isAlive()) {
                throw new AssertionError("yarn.sh exited early; log:\n" + processes.logText("yarn-attempts"));
            }
            try {
                return cluster.hdfs.fs().exists(new Path(run + "/checkpoints/LATEST"));
            } catch (IOException e) {
                return false;
            }
        });
        String applicationId = report().getApplicationId().toString();
        List<ProcessHandle> attempt1 = driverJvms(applicationId);
        assertEquals(1, attempt1.size(), "one driver JVM of " + applicationId + ": " + attempt1);
        long killedAt = Math.round(metrics(run).stream().mapToLong(n -> n.get("step").asLong()).max().orElse(0));
        attempt1.get(0).destroyForcibly();   // SIGKILL: the driver's container exits, YARN fails attempt 1

        assertEquals(0, ClusterProcesses.await(submitter, Duration.ofMinutes(8)),
                "yarn.sh exit code; log:\n" + processes.logText("yarn-attempts"));
        ApplicationReport app = report();
        assertEquals(FinalApplicationStatus.SUCCEEDED, app.getFinalApplicationStatus(), app.getDiagnostics());
        assertEquals(2, app.getCurrentApplicationAttemptId().getAttemptId(), "the run finished in attempt 2");
        String logs = containerLogs(applicationId);
        assertTrue(logs.contains("Attempt 2 of application " + applicationId
                + ": resuming the run its first attempt started in " + cluster.hdfs.uri + run), logs);
        assertTrue(logs.contains("CheckpointStore: loaded checkpoint " + cluster.hdfs.uri + run + "/checkpoints/step-0000"),
                "attempt 2 loaded a checkpoint of attempt 1");
        assertEquals(String.format("step-%06d", STEPS), cluster.hdfs.read(run + "/checkpoints/LATEST").strip());

        System.setProperty("spark.master", "local[2]");
        System.setProperty("spark.ui.enabled", "false");
        String undisturbed = "/runs/undisturbed";
        assertEquals(0, Cli.run(trainArgs(ClusterProcesses.projectRoot().resolve("conf/gpt-tiny.conf").toString(),
                cluster.hdfs.uri + undisturbed).toArray(String[]::new)).code());
        List<JsonNode> expected = metrics(undisturbed);
        List<JsonNode> actual = metrics(run);
        assertEquals(expected.stream().map(n -> n.get("step").asLong()).toList(),
                actual.stream().map(n -> n.get("step").asLong()).toList(), "every round once, in order");
        for (int i = 0; i < expected.size(); i++) {
            for (String field : List.of("train_loss", "val_loss")) {
                assertEquals(printed(expected.get(i), field), printed(actual.get(i), field),
                        field + " at step " + expected.get(i).get("step") + " (attempt 1 killed after step " + killedAt
                                + ")");
            }
        }
    }
}
