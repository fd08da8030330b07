package io.sparkformer.job.train;

import io.sparkformer.job.spark.SparkContexts;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The progress line, and progress inside a round that lasts longer than train.progressSeconds, on real Spark. */
class ProgressTest {
    private static final Pattern STEP = Pattern.compile("^step (\\d+)/100 ");
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        // Heartbeats carry the running tasks' accumulator values to the driver; 10 s by default.
        sc = new JavaSparkContext(SparkContexts.withJobDefaults(new SparkConf().setMaster("local[2]")
                .setAppName("progress").set("spark.ui.enabled", "false")
                .set("spark.executor.heartbeatInterval", "200ms")));
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    @Test
    void lineRoundsLossesToFourDecimalsAndShowsDashesForWhatIsNotKnownYet() {
        assertEquals("step 120/2000 | loss 2.8812 | val 2.9000 | 5,901 tok/s | elapsed 1m05s | ETA 1h02m03s",
                Progress.line(120, 2000, 2.881234567890123, 2.9, 5900.6, Duration.ofSeconds(65),
                        Duration.ofSeconds(3723)));
        assertEquals("step 0/10 | loss - | val - | - tok/s | elapsed 0s | ETA -",
                Progress.line(0, 10, Double.NaN, null, Double.NaN, Duration.ZERO, null));
    }

    @Test
    void aResumedRunShowsTheValidationLossOfItsMetricsUntilItsFirstEvaluation(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("metrics.jsonl");
        Files.writeString(file, """
                {"step":5,"train_loss":2.9,"val_loss":2.5}
                {"step":10,"train_loss":2.7}
                {"step":15,"train_loss":2.6,"val_loss":2.1}
                """);
        MetricsLog metrics = new MetricsLog(new org.apache.hadoop.fs.Path(file.toUri()), new Configuration());
        metrics.resumeAt(10);   // the checkpoint: step 15's line is trained again
        List<String> lines = new ArrayList<>();
        try (Progress progress = new Progress(20, 10, 100, 60_000, 0, () -> 0, lines::add)) {
            progress.resumedWith(metrics.lastValue("val_loss"));
            progress.roundEnded(12, 2.65, 500);
            assertTrue(progress.lineNow().startsWith("step 12/20 | loss 2.6500 | val 2.5000 | 500 tok/s"),
                    progress.lineNow());
            progress.evaluated(2.4, "");
            assertTrue(lines.get(0).contains("| val 2.4000 |"), lines.toString());
        }
        assertNull(new MetricsLog(new org.apache.hadoop.fs.Path(dir.resolve("none.jsonl").toUri()), new Configuration())
                .lastValue("val_loss"), "no metrics: val -");
    }

    /**
     * A "round" of 12 steps per worker on 2 workers, 250 ms a step (3 s), with a line due every second:
     * the timer logs lines while the job runs, and they show steps inside the round, which only the
     * executors' heartbeats can tell (the driver's accumulator changes when a task ends).
     */
    @Test
    void timerLinesInsideALongRoundShowTheStepsTheExecutorsReport() throws Exception {
        LongAccumulator steps = sc.sc().longAccumulator("steps");
        StepCounter counter = new StepCounter(steps);
        RoundProgress round = new RoundProgress(counter.accumulatorId(), 2);
        sc.sc().addSparkListener(round);
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        try (Progress progress = new Progress(100, 0, 10, 0, 1, round::stepsDone, lines::add)) {
            progress.roundStarted(0, 12);
            round.reset();
            CompletableFuture<Long> job = CompletableFuture.supplyAsync(() ->
                    sc.parallelize(List.of(0, 1), 2).map(w -> {
                        for (int i = 0; i < 12; i++) {
                            Thread.sleep(250);
                            counter.postUpdate((org.nd4j.linalg.dataset.api.DataSet) null, null);
                        }
                        return w;
                    }).count());
            assertEquals(2L, job.get());
            List<Long> shown = new ArrayList<>();
            synchronized (lines) {
                for (String line : lines) {
                    Matcher m = STEP.matcher(line);
                    assertTrue(m.find(), line);
                    shown.add(Long.parseLong(m.group(1)));
                }
            }
            assertTrue(shown.size() >= 2, "a line every second of a 3 s round: " + lines);
            assertTrue(shown.stream().anyMatch(s -> s > 0 && s < 12), "a step inside the round: " + lines);
            assertTrue(lines.stream().anyMatch(l -> !l.contains("| - tok/s")), "a rate once steps are done: " + lines);
            sc.sc().listenerBus().waitUntilEmpty();
            assertEquals(12, round.stepsDone(), "every step once the tasks ended");
            assertEquals(24L, steps.value());
        } finally {
            sc.sc().removeSparkListener(round);
        }
    }
}
