package io.sparkformer.job.cluster;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Spark standalone cluster on loopback: a Master and Workers (1 core, 1 GiB each) started with
 * the test Spark distribution's {@code bin/spark-class} ({@link SparkDistribution}), as
 * {@code sbin/start-master.sh} and {@code start-worker.sh} would; the workers launch executors in JVMs
 * of their own from the distribution's jars/ and the app jar they fetch from the driver, with their
 * output in {@code work<i>/<app>/<executor>/stderr}. Jobs go through submit/standalone.sh with the
 * shaded app jar in client mode (the driver is the spark-submit JVM).
 */
final class StandaloneCluster implements AutoCloseable {
    /** The line RoundData logs once per executor JVM (and for retried tasks), with the pid. */
    static final Pattern TRAINING_PID = Pattern.compile("Worker \\d+: steps .* in executor \\S+ \\(pid (\\d+),");

    final ClusterProcesses processes;
    final String master;
    private final File base;
    private final Path sparkHome;
    private final int workers;

    private StandaloneCluster(File base, int workers) {
        this.base = base;
        this.workers = workers;
        this.processes = new ClusterProcesses(base.toPath().resolve("logs"));
        this.sparkHome = SparkDistribution.home();
        this.master = "spark://127.0.0.1:" + ClusterProcesses.freePort();
    }

    /** Starts a Master and {@code workers} Workers and waits until the Master counts them all alive. */
    static StandaloneCluster start(File base, int workers) throws InterruptedException {
        StandaloneCluster cluster = new StandaloneCluster(base, workers);
        try {
            cluster.startProcesses();
        } catch (RuntimeException | Error | InterruptedException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    private void startProcesses() throws InterruptedException {
        // What sbin/start-*.sh hand to spark-class: small daemons, a work directory per worker.
        Map<String, String> env = Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_LOCAL_IP", "127.0.0.1",
                "SPARK_DAEMON_MEMORY", "256m", "SPARK_DAEMON_JAVA_OPTS", "-XX:TieredStopAtLevel=1");
        String spark = sparkHome.resolve("bin/spark-class").toString();
        int ui = ClusterProcesses.freePort();
        processes.start("master", env, List.of(spark, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                "--port", master.substring(master.lastIndexOf(':') + 1), "--webui-port", String.valueOf(ui)));
        for (int i = 1; i <= workers; i++) {
            processes.start("worker" + i, env, List.of(spark, "org.apache.spark.deploy.worker.Worker",
                    "--host", "127.0.0.1", "--cores", "1", "--memory", "1g", "--webui-port", "0",
                    "--work-dir", new File(base, "work" + i).getPath(), master));
        }
        HttpClient http = HttpClient.newHttpClient();
        ClusterProcesses.waitUntil(workers + " alive workers at the master", Duration.ofMinutes(3), () -> {
            try {
                String json = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ui + "/json/")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                return json.replace(" ", "").contains("\"aliveworkers\":" + workers);
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        });
    }

    /**
     * Starts submit/standalone.sh with the app jar in client mode, one executor of 1 core and 768m per
     * worker; conf/spark-defaults.conf applies except where these flags size it down for a 2-core
     * machine. Output goes to logs/name.log.
     */
    Process submit(String name, List<String> extraFlags, List<String> job) {
        List<String> cmd = new ArrayList<>(List.of("bash", ClusterProcesses.projectRoot().resolve("submit/standalone.sh")
                        .toString(), "--master", master, "--total-executor-cores", String.valueOf(workers),
                "--executor-cores", "1", "--executor-memory", "768m", "--driver-memory", "1g", "--name", name,
                "--conf", "spark.task.cpus=1",
                "--conf", "spark.executorEnv.OMP_NUM_THREADS=1",
                "--conf", "spark.ui.enabled=false"));
        cmd.addAll(extraFlags);
        cmd.addAll(job);
        return processes.start(name, Map.of("SPARK_HOME", sparkHome.toString(),
                "SPARKFORMER_JAR", SparkDistribution.appJar().toString(), "SPARK_LOCAL_IP", "127.0.0.1",
                "OMP_NUM_THREADS", "1", "SPARK_SUBMIT_OPTS", ClusterProcesses.driverLogging()), cmd);
    }

    /** {@link #submit} and wait (up to {@code timeout}) for the exit code. */
    int run(String name, List<String> extraFlags, List<String> job, Duration timeout) throws InterruptedException {
        return await(name, submit(name, extraFlags, job), timeout);
    }

    /** Waits for a submitted job's exit code; on timeout says where the driver and executors stood. */
    int await(String name, Process p, Duration timeout) throws InterruptedException {
        try {
            return ClusterProcesses.await(p, timeout);
        } catch (AssertionError e) {
            // Seen once with a load average of 28 on 2 cores: say where it stood.
            throw new AssertionError(e.getMessage() + "\n--- driver log:\n" + tail(processes.logText(name))
                    + "\n--- executor logs:\n" + executorLogs(), e);
        }
    }

    static String tail(String text) {
        return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }

    /** Every executor's stderr file so far, in all workers' directories. */
    List<Path> executorLogFiles() {
        List<Path> out = new ArrayList<>();
        for (int i = 1; i <= workers; i++) {
            Path dir = new File(base, "work" + i).toPath();
            if (!Files.isDirectory(dir)) {
                continue;
            }
            out.addAll(StderrFiles.under(dir));
        }
        return out;
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tail of each executor's stderr, for failure messages. */
    String executorLogs() {
        StringBuilder all = new StringBuilder();
        for (Path f : executorLogFiles()) {
            all.append("== ").append(f).append('\n').append(tail(read(f))).append('\n');
        }
        return all.toString();
    }

    /** PIDs that executors logged while training, from the workers' executor stderr files. */
    Set<Long> trainingPids() {
        Set<Long> pids = new HashSet<>();
        for (Path f : executorLogFiles()) {
            Matcher m = TRAINING_PID.matcher(read(f));
            while (m.find()) {
                pids.add(Long.parseLong(m.group(1)));
            }
        }
        return pids;
    }

    @Override
    public void close() {
        processes.close();
    }
}
