package io.sparkformer.job.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the tests that take an executor away in the middle of a round share ({@link ExecutorLossIT},
 * {@link YarnExecutorPreemptionIT}): executors that log each step they start, finding the executor
 * JVM that has started a given step, the worker task Spark reran after the loss, and the comparison
 * of the disturbed run's metrics with an undisturbed run's.
 */
final class ExecutorSteps {
    private static final Pattern STEP = Pattern.compile("step (\\d+) starts in pid (\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Float rounding only. The retried worker replays the same batches from the same broadcast
     * parameters on the same code path, and with two workers the order in which Spark sums their
     * results cannot change the sum, so the losses come out identical (measured: equal to the last
     * digit; the same config in local[2] differs from the cluster by 3e-8). The run-to-run noise of
     * gpt-tiny is 50 times the tolerance: its final validation loss is 3.3226, 3.3171 and 3.3151 for
     * train.seed 1337, 1338 and 1339 (ExecutorLossIT's config).
     */
    static final double SAME_RUN = 1e-4;

    private ExecutorSteps() {
    }

    /** The executor JVM that started a step, and its log. */
    record Executor(long pid, Path log) {
        /** The highest step its log shows started. */
        long lastStep() {
            long last = 0;
            Matcher m = STEP.matcher(StandaloneCluster.read(log));
            while (m.find()) {
                last = Math.max(last, Long.parseLong(m.group(1)));
            }
            return last;
        }
    }

    /**
     * Writes, into {@code dir}, the executors' usual test log configuration plus each step at DEBUG
     * ({@code GlobalStepHook}), and returns the file.
     */
    static Path stepLogConfig(Path dir) throws IOException {
        try (InputStream in = ExecutorSteps.class.getResourceAsStream("/log4j2-test.properties")) {
            Path file = dir.resolve("executor-log4j2.properties");
            Files.writeString(file, new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    + "\nlogger.steps.name = io.sparkformer.job.train.GlobalStepHook\nlogger.steps.level = debug\n");
            return file;
        }
    }

    /**
     * Waits until an executor log that is not one of {@code earlier} shows {@code step} started;
     * fails with the driver's log if the driver exits first.
     */
    static Executor awaitStep(int step, Supplier<List<Path>> logs, Set<Path> earlier, Process driver,
                              Supplier<String> driverLog, Duration timeout) throws InterruptedException {
        Executor[] found = new Executor[1];
        // Polled often: the test must stop that executor before its round ends.
        ClusterProcesses.waitUntil("an executor to start step " + step, timeout, Duration.ofMillis(20), () -> {
            if (!driver.isAlive()) {
                throw new AssertionError("the driver exited early; log:\n" + driverLog.get());
            }
            for (Path f : logs.get()) {
                if (!earlier.contains(f)) {
                    Matcher m = STEP.matcher(StandaloneCluster.read(f));
                    while (m.find()) {
                        if (Integer.parseInt(m.group(1)) == step) {
                            found[0] = new Executor(Long.parseLong(m.group(2)), f);
                            return true;
                        }
                    }
                }
            }
            return false;
        });
        return found[0];
    }

    /** The pids of the executors in whose {@code logs} a worker task of round {@code steps} ("16-30") was rerun. */
    static List<Long> retriedIn(List<Path> logs, String steps) {
        Pattern retried = Pattern.compile("Worker \\d: steps " + Pattern.quote(steps) + " in executor \\S+ \\(pid (\\d+),"
                + " [^)]*\\), task attempt 2 after a failure");
        List<Long> pids = new ArrayList<>();
        for (Path f : logs) {
            Matcher r = retried.matcher(StandaloneCluster.read(f));
            while (r.find()) {
                pids.add(Long.parseLong(r.group(1)));
            }
        }
        return pids;
    }

    /** Sends {@code signal} (STOP, KILL, ...) to process {@code pid}. */
    static void signal(String signal, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(pid)).inheritIO().start();
        assertTrue(kill.waitFor(30, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal + " " + pid);
    }

    /**
     * The disturbed run {@code run} ended as the undisturbed run {@code steady} did: the same metrics
     * lines (steps, tokens counted once per worker, losses within {@link #SAME_RUN}), ending at
     * {@code steps} with its checkpoint.
     */
    static void assertSameRun(MiniHdfs hdfs, String steady, String run, int steps) throws IOException {
        List<JsonNode> a = metrics(hdfs, steady);
        List<JsonNode> b = metrics(hdfs, run);
        assertEquals(a.size(), b.size(), "one metrics line per round in both runs");
        for (int i = 0; i < a.size(); i++) {
            long step = a.get(i).get("step").asLong();
            assertEquals(step, b.get(i).get("step").asLong());
            assertEquals(a.get(i).get("tokens").asLong(), b.get(i).get("tokens").asLong(), "tokens counted once per worker");
            assertEquals(a.get(i).get("train_loss").asDouble(), b.get(i).get("train_loss").asDouble(), SAME_RUN,
                    "train loss at step " + step);
            assertEquals(a.get(i).get("val_loss").asDouble(), b.get(i).get("val_loss").asDouble(), SAME_RUN,
                    "validation loss at step " + step);
        }
        assertEquals(steps, b.get(b.size() - 1).get("step").asLong());
        assertEquals(String.format("step-%06d", steps), hdfs.read(run + "/checkpoints/LATEST").strip());
    }

    private static List<JsonNode> metrics(MiniHdfs hdfs, String run) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : hdfs.read(run + "/metrics.jsonl").strip().split("\n")) {
            lines.add(JSON.readTree(line));
        }
        return lines;
    }
}
