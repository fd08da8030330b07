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
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real Spark standalone cluster on loopback: a Master and two Workers (1 core, 1 GiB each) in
 * their own JVMs from the Maven jars, executors launched by the workers in JVMs of their own. The
 * job is submitted with submit/standalone.sh (client mode: the driver is the spark-submit JVM) and
 * trains gpt-tiny with two replicas, checkpointing to HDFS; the checkpoint then generates here.
 */
class StandaloneClusterTest {
    private static final Pattern TRAINING_PID = Pattern.compile("Worker \\d+: steps .* in executor \\S+ \\(pid (\\d+),");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static File base;
    private static MiniHdfs hdfs;
    private static ClusterProcesses processes;
    private static String master;
    private static java.nio.file.Path sparkHome;

    @BeforeAll
    static void startCluster() throws Exception {
        hdfs = new MiniHdfs(new File(base, "dfs"), new Configuration());
        processes = new ClusterProcesses(base.toPath().resolve("logs"));
        // Workers build executor classpaths from SPARK_HOME/jars (here empty: ours come from
        // spark.executor.extraClassPath); without a distribution's RELEASE layout Spark's launcher
        // also needs to be told the Scala version.
        sparkHome = ClusterProcesses.fakeSparkHome(base.toPath().resolve("spark-home"), null,
                List.of("-Xmx768m", "-Dorg.bytedeco.javacpp.maxbytes=1g", "-Dlog4j.configurationFile="
                        + ClusterProcesses.projectRoot().resolve("conf/log4j2.properties")));
        Map<String, String> env = Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_SCALA_VERSION", "2.12",
                "SPARK_LOCAL_IP", "127.0.0.1");
        int port = ClusterProcesses.freePort();
        int ui = ClusterProcesses.freePort();
        master = "spark://127.0.0.1:" + port;
        List<String> small = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1");
        processes.java("master", small, env, "org.apache.spark.deploy.master.Master",
                List.of("--host", "127.0.0.1", "--port", String.valueOf(port), "--webui-port", String.valueOf(ui)));
        for (int i = 1; i <= 2; i++) {
            processes.java("worker" + i, small, env, "org.apache.spark.deploy.worker.Worker",
                    List.of("--host", "127.0.0.1", "--cores", "1", "--memory", "1g", "--webui-port", "0",
                            "--work-dir", new File(base, "work" + i).getPath(), master));
        }
        HttpClient http = HttpClient.newHttpClient();
        ClusterProcesses.waitUntil("2 alive workers at the master", Duration.ofSeconds(90), () -> {
            try {
                String json = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ui + "/json/")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                return json.replace(" ", "").contains("\"aliveworkers\":2");
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        });
    }

    @AfterAll
    static void stopCluster() {
        if (processes != null) {
            processes.close();
        }
        if (hdfs != null) {
            hdfs.close();
        }
    }

    /**
     * Runs submit/standalone.sh in client mode: the driver is the (stand-in) spark-submit JVM, the
     * executors are launched by the workers; conf/spark-defaults.conf applies except where the flags
     * here size it down for a 2-core machine. Returns the exit code; output in logs/name.log.
     */
    private static int standaloneSh(String name, List<String> extraFlags, List<String> job) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", ClusterProcesses.projectRoot().resolve("submit/standalone.sh")
                        .toString(), "--master", master, "--total-executor-cores", "2", "--executor-cores", "1",
                "--executor-memory", "768m", "--name", name,
                "--conf", "spark.task.cpus=1",
                "--conf", "spark.executorEnv.OMP_NUM_THREADS=1",
                // Spark on the "nodes" is the Maven jars (a distribution would have them in jars/).
                "--conf", "spark.executor.extraClassPath=" + ClusterProcesses.classpathString(),
                "--conf", "spark.ui.enabled=false"));
        cmd.addAll(extraFlags);
        cmd.addAll(job);
        File appJar = new File(base, "sparkformer-app.jar");
        if (!appJar.exists()) {
            new java.util.jar.JarOutputStream(new java.io.FileOutputStream(appJar)).close();
        }
        Process p = processes.start(name, Map.of("SPARK_HOME", sparkHome.toString(), "SPARKFORMER_JAR", appJar.getPath(),
                "SPARK_LOCAL_IP", "127.0.0.1", "OMP_NUM_THREADS", "1"), cmd);
        try {
            return ClusterProcesses.await(p, Duration.ofMinutes(4));
        } catch (AssertionError e) {
            // Seen once with a load average of 28 on 2 cores: say where it stood.
            throw new AssertionError(e.getMessage() + "\n--- driver log:\n" + tail(processes.logText(name))
                    + "\n--- executor logs:\n" + tail(executorLogs()), e);
        }
    }

    private static String tail(String text) {
        return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }

    private static String executorLogs() {
        StringBuilder all = new StringBuilder();
        for (String w : List.of("work1", "work2")) {
            try (Stream<java.nio.file.Path> files = Files.walk(new File(base, w).toPath())) {
                for (java.nio.file.Path f : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
                    all.append("== ").append(f).append('\n').append(tail(Files.readString(f))).append('\n');
                }
            } catch (IOException e) {
                all.append(e).append('\n');
            }
        }
        return all.toString();
    }

    private static String conf() {
        return ClusterProcesses.projectRoot().resolve("conf/gpt-tiny.conf").toString();
    }

    /** PIDs that executors logged while training, from the workers' executor stderr files. */
    private static Set<Long> trainingPids() {
        Set<Long> pids = new HashSet<>();
        for (String w : List.of("work1", "work2")) {
            try (Stream<java.nio.file.Path> files = Files.walk(new File(base, w).toPath())) {
                for (java.nio.file.Path f : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
                    Matcher m = TRAINING_PID.matcher(Files.readString(f));
                    while (m.find()) {
                        pids.add(Long.parseLong(m.group(1)));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return pids;
    }

    @Test
    void twoExecutorJvmsTrainGptTinyCheckpointToHdfsAndTheCheckpointGenerates() throws Exception {
        String run = hdfs.uri + "/runs/standalone";
        int code = standaloneSh("standalone-train", List.of(), List.of("train", "--config", conf(),
                "--corpus", hdfs.uri + MiniHdfs.CORPUS, "--out", run,
                "--set", "spark.workers=2", "--set", "train.batchSize=4", "--set", "train.steps=20",
                "--set", "train.evalEvery=10", "--set", "train.checkpointEvery=10", "--set", "train.warmupSteps=5"));
        assertEquals(0, code, "standalone.sh exit code; log:\n" + processes.logText("standalone-train"));

        Set<Long> pids = trainingPids();
        assertEquals(2, pids.size(), "two executor JVMs trained: " + pids);
        assertTrue(!pids.contains(ProcessHandle.current().pid()), "executors are not this JVM");
        assertTrue(processes.logText("standalone-train").contains("maxbytes 3.0 GiB"),
                "executors run with conf/spark-defaults.conf's ND4J off-heap setting");

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
        String log = processes.logText("standalone-too-small");
        assertEquals(2, code, "exit code for a budget the user must raise; log:\n" + log);
        assertTrue(log.contains("sparkformer train: error: the executor's off-heap budget is too small for this "
                + "model: training needs about "), log);
        assertTrue(log.contains("but org.bytedeco.javacpp.maxbytes on executor "), log);
        assertTrue(log.contains("allows 48 MiB; raise -Dorg.bytedeco.javacpp.maxbytes in "
                + "spark.executor.extraJavaOptions, or lower train.batchSize"), log);
        assertTrue(!log.contains("TrainingJob: Model:"), "refused before the model was built");
    }
}
