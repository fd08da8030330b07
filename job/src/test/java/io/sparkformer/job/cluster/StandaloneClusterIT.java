package io.sparkformer.job.cluster;

import io.sparkformer.job.Cli;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real Spark standalone cluster on loopback ({@link StandaloneCluster}: a Master and two Workers,
 * executors in JVMs of their own). The job is submitted with submit/standalone.sh (client mode: the
 * driver is the spark-submit JVM) and trains gpt-tiny with two replicas, checkpointing to HDFS; the
 * checkpoint then generates here.
 */
class StandaloneClusterIT {
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static File base;
    private static MiniHdfs hdfs;
    private static StandaloneCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        hdfs = new MiniHdfs(new File(base, "dfs"), new Configuration());
        cluster = StandaloneCluster.start(base, 2);
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

    private static int standaloneSh(String name, List<String> extraFlags, List<String> job) throws Exception {
        return cluster.run(name, extraFlags, job, Duration.ofMinutes(4));
    }

    private static String conf() {
        return ClusterProcesses.projectRoot().resolve("conf/gpt-tiny.conf").toString();
    }

    @Test
    void twoExecutorJvmsTrainGptTinyCheckpointToHdfsAndTheCheckpointGenerates() throws Exception {
        String run = hdfs.uri + "/runs/standalone";
        int code = standaloneSh("standalone-train", List.of(), List.of("train", "--config", conf(),
                "--corpus", hdfs.uri + MiniHdfs.CORPUS, "--out", run,
                "--set", "spark.workers=2", "--set", "train.batchSize=4", "--set", "train.steps=20",
                "--set", "train.evalEvery=10", "--set", "train.checkpointEvery=10", "--set", "train.warmupSteps=5"));
        assertEquals(0, code, "standalone.sh exit code; log:\n" + cluster.processes.logText("standalone-train"));

        Set<Long> pids = cluster.trainingPids();
        assertEquals(2, pids.size(), "two executor JVMs trained: " + pids);
        assertTrue(!pids.contains(ProcessHandle.current().pid()), "executors are not this JVM");
        // gpt-tiny at batch 4 (256 characters assumed): 1.5 x (3.7 MiB + 64 MiB), in whole 64 MiB units.
        String log = cluster.processes.logText("standalone-train");
        assertTrue(log.contains("standalone.sh: memory from the model's estimate (sparkformer memory): "
                + "spark.executor.memory="), "the script sized the executors from the model: " + log);
        assertTrue(log.contains("maxbytes 128 MiB"), "executors run with the derived ND4J off-heap limit");

        assertEquals("step-000020", hdfs.read("/runs/standalone/checkpoints/LATEST").trim());
        assertTrue(hdfs.fs().exists(new Path("/runs/standalone/checkpoints/step-000020/model.zip")));
        String[] metrics = hdfs.read("/runs/standalone/metrics.jsonl").strip().split("\n");
        assertTrue(metrics[metrics.length - 1].contains("\"tokens\":" + 20 * 2 * 4 * 32), metrics[metrics.length - 1]);

        Cli.Result generated = Cli.run("generate", "--checkpoint", run, "--prompt", "ROMEO:", "--max-tokens", "30",
                "--seed", "7");
        assertEquals(0, generated.code(), "generate exit code; stderr: " + generated.err());
        String text = generated.out().strip();
        assertTrue(text.startsWith("ROMEO:") && text.length() >= "ROMEO:".length() + 20, "generated: " + text);
    }

    @Test
    void executorsWithTooLittleOffHeapAreRefusedBeforeTraining() throws Exception {
        int code = standaloneSh("standalone-too-small", List.of("--conf", "spark.executor.extraJavaOptions="
                        + ClusterProcesses.java17Options() + " -Dorg.bytedeco.javacpp.maxbytes=48m"),
                List.of("train", "--config", conf(), "--corpus", hdfs.uri + MiniHdfs.CORPUS,
                        "--out", hdfs.uri + "/runs/too-small", "--set", "spark.workers=2", "--set", "train.steps=10"));
        String log = cluster.processes.logText("standalone-too-small");
        assertEquals(2, code, "exit code for a budget the user must raise; log:\n" + log);
        assertTrue(log.contains("sparkformer train: error: the executor's off-heap budget is too small for this "
                + "model: training needs about "), log);
        assertTrue(log.contains("but org.bytedeco.javacpp.maxbytes on executor "), log);
        assertTrue(log.contains("allows 48 MiB; raise -Dorg.bytedeco.javacpp.maxbytes in "
                + "spark.executor.extraJavaOptions, or lower train.batchSize"), log);
        assertTrue(!log.contains("TrainingJob: Model:"), "refused before the model was built");
    }
}
