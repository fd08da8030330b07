package io.sparkformer.job.cluster;

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
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * YARN as a user meets it: a MiniYARNCluster (ResourceManager + one NodeManager launching real
 * containers) and a MiniDFSCluster; the shaded app jar submitted by submit/yarn.sh through the test
 * Spark distribution's {@code bin/spark-submit} ({@link SparkDistribution}) in client and cluster
 * deploy mode, the config shipped with {@code --files} and named relatively, the corpus and run
 * directory on HDFS. The app jar is uploaded to the staging directory as spark-submit does; Spark's
 * own jars reach the containers as {@code spark.yarn.jars=local:$SPARK_HOME/jars/*}, as on a cluster
 * with Spark installed on every node.
 */
class YarnClusterIT {
    private static final Pattern TRAINING_PID = Pattern.compile("Worker \\d+: steps .* in executor \\S+ \\(pid (\\d+),");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static File base;
    private static MiniYarn cluster;
    private static ClusterProcesses processes;

    @BeforeAll
    static void startClusters() throws Exception {
        cluster = MiniYarn.start(base, YarnClusterIT.class.getSimpleName());
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
    }

    /** submit/yarn.sh in {@code deployMode}: gpt-tiny on 2 executors, 10 steps. */
    private static List<String> yarnSh(String deployMode, String config, String run) {
        return cluster.yarnSh(deployMode, "sparkformer-yarn-" + deployMode, List.of(), List.of("train", "--config",
                config, "--corpus", cluster.hdfs.uri + MiniHdfs.CORPUS, "--out", run,
                "--set", "spark.workers=2", "--set", "train.batchSize=4", "--set", "train.steps=10",
                "--set", "train.evalEvery=10", "--set", "train.checkpointEvery=10", "--set", "train.warmupSteps=5"));
    }

    private static int run(String name, List<String> command) throws Exception {
        return ClusterProcesses.await(cluster.submit(processes, name, command), Duration.ofMinutes(4));
    }

    private static ApplicationReport report(String name) throws Exception {
        try (YarnClient client = YarnClient.createYarnClient()) {
            client.init(cluster.yarn.getConfig());
            client.start();
            return client.getApplications().stream().filter(a -> a.getName().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("no YARN application named " + name));
        }
    }

    /** Executor PIDs that logged training, from the NodeManager's container logs of one application. */
    private static Set<Long> trainingPids(String applicationId) {
        Set<Long> pids = new HashSet<>();
        for (java.nio.file.Path f : cluster.containerStderrFiles(applicationId)) {
            Matcher m = TRAINING_PID.matcher(StandaloneCluster.read(f));
            while (m.find()) {
                pids.add(Long.parseLong(m.group(1)));
            }
        }
        return pids;
    }

    private void assertTrainedOnYarn(String deployMode, String config) throws Exception {
        String name = "sparkformer-yarn-" + deployMode;
        String run = "/runs/yarn-" + deployMode;
        int code = run("yarn-" + deployMode, yarnSh(deployMode, config, cluster.hdfs.uri + run));
        assertEquals(0, code, "yarn.sh exit code; log:\n" + tail(processes.logText("yarn-" + deployMode)));
        ApplicationReport app = report(name);
        assertEquals(FinalApplicationStatus.SUCCEEDED, app.getFinalApplicationStatus(), app.getDiagnostics());
        // Hadoop 3.3 reports the leaf queue's name, 3.5 (Spark 4's) its path.
        assertEquals("default", app.getQueue().replaceFirst("^root\\.", ""), app.getQueue());
        assertEquals("step-000010", cluster.hdfs.read(run + "/checkpoints/LATEST").trim());
        assertTrue(cluster.hdfs.fs().exists(new Path(run + "/checkpoints/step-000010/model.zip")));
        Set<Long> pids = trainingPids(app.getApplicationId().toString());
        assertEquals(2, pids.size(), "two executor containers trained: " + pids);
    }

    private static String tail(String log) {
        return log.length() > 6000 ? log.substring(log.length() - 6000) : log;
    }

    @Test
    void clientModeTrainsOnYarnAndCheckpointsToHdfs() throws Exception {
        // The driver is the submitting JVM: it reads the config from the local path it was given.
        assertTrainedOnYarn("client", ClusterProcesses.projectRoot().resolve("conf/gpt-tiny.conf").toString());
    }

    @Test
    void clusterModeTrainsOnYarnAndCheckpointsToHdfs() throws Exception {
        // The driver runs in the application master's container: yarn.sh ships the config with
        // --files and the driver reads it from its working directory. Given relative to the caller.
        assertTrainedOnYarn("cluster", "../conf/gpt-tiny.conf");
    }
}
