package io.sparkformer.job.train;

import io.sparkformer.data.InputException;
import io.sparkformer.job.Cli;
import io.sparkformer.job.spark.SparkContexts;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The Spark settings a model's size decides fail fast, naming the setting and the value it needs. */
class RoundSizeLimitsTest {
    /** conf/gpt-small.conf: 12 bytes (float parameter + Adam's two moments) x ~110 M parameters. */
    private static final long GPT_SMALL_RESULT = 12L * 110_000_000;

    private static SparkConf jobDefaults() {
        return SparkContexts.withJobDefaults(new SparkConf(false));
    }

    @Test
    void gptSmallOnTwoWorkersNeedsAMaxResultSizeAboveSparksDefault() {
        InputException e = assertThrows(InputException.class,
                () -> RoundSizeLimits.check(jobDefaults(), GPT_SMALL_RESULT, 2));
        assertEquals("spark.driver.maxResultSize = 1g is below the 2.5 GiB a round returns (2 worker(s) x 1.2 GiB of"
                + " parameters and updater state): set it to at least 2520m (or 0 for no limit)", e.getMessage());
        assertDoesNotThrow(() -> RoundSizeLimits.check(jobDefaults().set("spark.driver.maxResultSize", "3g"),
                GPT_SMALL_RESULT, 2));
        assertDoesNotThrow(() -> RoundSizeLimits.check(jobDefaults().set("spark.driver.maxResultSize", "0"),
                GPT_SMALL_RESULT, 2));
    }

    @Test
    void aKryoBufferBelowOneResultIsNamed() {
        SparkConf conf = jobDefaults().set("spark.kryoserializer.buffer.max", "1g").set("spark.driver.maxResultSize", "0");
        InputException e = assertThrows(InputException.class, () -> RoundSizeLimits.check(conf, GPT_SMALL_RESULT, 2));
        assertEquals("spark.kryoserializer.buffer.max = 1g is below a worker's round result of 1.2 GiB: set it to at"
                + " least 1260m (at most 2047m)", e.getMessage());
    }

    @Test
    void aResultAboveWhatKryoCanWriteIsRefused() {
        SparkConf conf = jobDefaults().set("spark.driver.maxResultSize", "0");
        InputException e = assertThrows(InputException.class, () -> RoundSizeLimits.check(conf, 12L * 200_000_000, 1));
        assertEquals("a worker's round result (parameters and updater state) is 2.2 GiB, above the 2047m Spark's Kryo"
                + " serializer can write (spark.kryoserializer.buffer.max): this model is too large for parameter"
                + " averaging; use fewer parameters", e.getMessage());
    }

    @Test
    void trainFailsBeforeItsFirstRoundWhenMaxResultSizeIsTooSmall(@TempDir Path dir) throws Exception {
        String corpus = dir.resolve("corpus.txt").toString();
        Files.writeString(Path.of(corpus), Files.readString(Path.of(System.getProperty("sparkformer.shared",
                "../shared"), "data/tinyshakespeare/input.txt")).substring(0, 20000));
        System.setProperty("spark.master", "local[2]");
        System.setProperty("spark.ui.enabled", "false");
        System.setProperty("spark.driver.maxResultSize", "2m");
        try {
            Cli.Result r = Cli.run("train", "--config", "../conf/gpt-tiny.conf", "--corpus", corpus, "--out",
                    dir.resolve("run").toString(), "--set", "spark.workers=2", "--set", "train.steps=5");
            assertEquals(2, r.code());
            // ~28 K parameters x 12 bytes + 1 MiB of allowance per result, sizes rounded up to MiB.
            assertEquals("sparkformer train: error: spark.driver.maxResultSize = 2m is below the 3 MiB a round returns"
                    + " (2 worker(s) x 2 MiB of parameters and updater state): set it to at least 3m (or 0 for no"
                    + " limit)", r.err().strip());
            assertEquals(false, Files.exists(dir.resolve("run/checkpoints")), "no round ran");
        } finally {
            System.clearProperty("spark.driver.maxResultSize");
            System.clearProperty("spark.master");
        }
    }
}
