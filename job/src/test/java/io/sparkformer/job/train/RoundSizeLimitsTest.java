package io.sparkformer.job.train;

import io.sparkformer.InputException;
import io.sparkformer.job.Cli;
import io.sparkformer.job.TestCorpus;
import io.sparkformer.job.spark.SparkContexts;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Spark settings a model's size decides fail fast, naming the setting and the value it needs. */
class RoundSizeLimitsTest {
    /** conf/gpt-small.conf: 12 bytes (float parameter + Adam's two moments) x ~110 M parameters. */
    private static final long GPT_SMALL_RESULT = 12L * 110_000_000;

    private static SparkConf jobDefaults() {
        return SparkContexts.withJobDefaults(new SparkConf(false));
    }

    /** A driver heap that holds any round of these tests, so that only the setting under test can fail. */
    private static final long BIG_HEAP = 64L << 30;

    private static SparkConf cluster() {
        return jobDefaults().setMaster("spark://master:7077");
    }

    @Test
    void gptSmallOnTwoWorkersNeedsAMaxResultSizeAboveSparksDefault() {
        InputException e = assertThrows(InputException.class,
                () -> RoundSizeLimits.check(cluster(), GPT_SMALL_RESULT, 2, BIG_HEAP));
        assertEquals("spark.driver.maxResultSize = 1g is below the 2.5 GiB a round returns (2 result(s) x 1.2 GiB of"
                + " parameters and updater state): set it to at least 2520m (or 0 for no limit)", e.getMessage());
        assertDoesNotThrow(() -> RoundSizeLimits.check(cluster().set("spark.driver.maxResultSize", "3g"),
                GPT_SMALL_RESULT, 2, BIG_HEAP));
        assertDoesNotThrow(() -> RoundSizeLimits.check(cluster().set("spark.driver.maxResultSize", "0"),
                GPT_SMALL_RESULT, 2, BIG_HEAP));
    }

    /** 64 workers: Spark's tree aggregation sums on executors down to 8 results, which is what the driver receives. */
    @Test
    void maxResultSizeCountsOnlyTheResultsTreeAggregationLeavesForTheDriver() {
        SparkConf conf = cluster().set("spark.driver.maxResultSize", "10g");
        assertDoesNotThrow(() -> RoundSizeLimits.check(conf, GPT_SMALL_RESULT, 64, BIG_HEAP));
        InputException e = assertThrows(InputException.class, () -> RoundSizeLimits.check(
                cluster().set("spark.driver.maxResultSize", "9g"), GPT_SMALL_RESULT, 64, BIG_HEAP));
        assertEquals("spark.driver.maxResultSize = 9g is below the 9.8 GiB a round returns (8 result(s) x 1.2 GiB of"
                + " parameters and updater state): set it to at least 10079m (or 0 for no limit)", e.getMessage());
    }

    /**
     * Results above 2 GB are no longer refused (Spark 3.4+ streams them into chunks), nor is a small
     * spark.kryoserializer.buffer.max, which task results and broadcasts do not use.
     */
    @Test
    void resultsAboveTwoGigabytesAndASmallKryoBufferAreAccepted() {
        SparkConf conf = cluster().set("spark.driver.maxResultSize", "0").set("spark.kryoserializer.buffer.max", "64m");
        assertDoesNotThrow(() -> RoundSizeLimits.check(conf, 12L * 200_000_000, 2, BIG_HEAP));
    }

    /** The 42.8 M-parameter round measured with bench/big-round.sh: a 3g driver heap ran out, 6g did not. */
    @Test
    void aDriverHeapTooSmallForTheResultsItReceivesIsNamed() {
        long result = 12L * 42_800_000;
        SparkConf fourThreads = cluster().set("spark.driver.maxResultSize", "0").set("spark.resultGetter.threads", "4");
        InputException e = assertThrows(InputException.class,
                () -> RoundSizeLimits.check(fourThreads, result, 2, 3L << 30));
        assertEquals("the driver's heap (spark.driver.memory, 3.0 GiB) is below the ~3.9 GiB a round needs to receive"
                + " 2 result(s) of 491 MiB at once (spark.resultGetter.threads = 4) beside the broadcast: set"
                + " spark.driver.memory to at least 3947m, or spark.resultGetter.threads to 1", e.getMessage());
        assertDoesNotThrow(() -> RoundSizeLimits.check(fourThreads, result, 2, 6L << 30));
        // The job's default of one result thread: ~2.4 GiB.
        assertDoesNotThrow(() -> RoundSizeLimits.check(cluster().set("spark.driver.maxResultSize", "0"), result, 2,
                3L << 30));
    }

    @Test
    void localModeSerializesNoRoundSoNoLimitApplies() {
        SparkConf local = jobDefaults().setMaster("local[2]").set("spark.driver.maxResultSize", "1m");
        assertDoesNotThrow(() -> RoundSizeLimits.check(local, GPT_SMALL_RESULT, 2, 1L << 30));
    }

    /**
     * A local master hands each round's state to its workers and back by reference: a result limit
     * far below what a round's state weighs (~28 K parameters x 12 bytes, ~330 KB a worker) does not
     * stop training, as it would if Spark serialized the results.
     */
    @Test
    void aLocalMasterTrainsWithAResultLimitBelowWhatItsWorkersHold(@TempDir Path dir) throws Exception {
        String corpus = dir.resolve("corpus.txt").toString();
        Files.writeString(Path.of(corpus), TestCorpus.shakespeare(20000));
        System.setProperty("spark.master", "local[2]");
        System.setProperty("spark.ui.enabled", "false");
        System.setProperty("spark.driver.maxResultSize", "64k");
        try {
            Cli.Result r = Cli.run("train", "--config", "../conf/gpt-tiny.conf", "--corpus", corpus, "--out",
                    dir.resolve("run").toString(), "--set", "spark.workers=2", "--set", "train.steps=10");
            assertEquals(0, r.code(), r.err());
            assertTrue(Files.readString(dir.resolve("run/metrics.jsonl")).contains("\"step\":10"), "trained to step 10");
        } finally {
            System.clearProperty("spark.driver.maxResultSize");
            System.clearProperty("spark.master");
        }
    }
}
