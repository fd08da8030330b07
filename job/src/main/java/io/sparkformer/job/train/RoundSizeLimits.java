package io.sparkformer.job.train;

import io.sparkformer.data.InputException;
import org.apache.spark.SparkConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static io.sparkformer.model.MemoryEstimate.human;

/**
 * Spark settings that the model's size decides, checked before the first round so that a big model
 * fails at once with a line naming the setting, not after its first round with a serializer
 * overflow or an aborted job. Each round, every worker returns its parameters and its updater state
 * (Adam: two moments) as one task result: 12 bytes a float parameter, ~1.3 GB for gpt-small.
 * <ul>
 *   <li>{@code spark.kryoserializer.buffer.max}: a task result is serialized into one Kryo buffer
 *       (the job's default is the largest Spark allows, 2047m; a result above that cannot be
 *       returned at all);</li>
 *   <li>{@code spark.driver.maxResultSize}: caps the sum of a round's results (default 1g);</li>
 * </ul>
 * {@code spark.rpc.message.maxSize} needs nothing: Spark sends results larger than
 * {@code min(spark.task.maxDirectResultSize, spark.rpc.message.maxSize)} through the block manager.
 * The broadcast of the averaged model is written as a stream in {@code spark.broadcast.blockSize}
 * blocks, without a size ceiling.
 */
public final class RoundSizeLimits {
    private static final Logger LOG = LoggerFactory.getLogger(RoundSizeLimits.class);
    /** Spark refuses a larger spark.kryoserializer.buffer.max (a Java array's limit). */
    static final long KRYO_CEILING = 2047L << 20;
    /** Kryo's own framing per array and the training result's other fields (score, stats). */
    static final long RESULT_OVERHEAD = 1L << 20;

    private RoundSizeLimits() {
    }

    /**
     * @param resultBytes what one worker returns: parameters and updater state, serialized
     * @param workers     task results per round
     * @throws InputException naming the setting to raise
     */
    public static void check(SparkConf conf, long resultBytes, int workers) {
        long result = resultBytes + RESULT_OVERHEAD;
        LOG.info("Each round: {} worker result(s) of {} (parameters and updater state) to the driver, {} in all",
                workers, human(result), human(result * workers));
        if (conf.get("spark.serializer", "").endsWith("KryoSerializer")) {
            if (result > KRYO_CEILING) {
                throw new InputException("a worker's round result (parameters and updater state) is " + human(result)
                        + ", above the 2047m Spark's Kryo serializer can write (spark.kryoserializer.buffer.max):"
                        + " this model is too large for parameter averaging; use fewer parameters");
            }
            long max = conf.getSizeAsBytes("spark.kryoserializer.buffer.max", "64m");
            if (result > max) {
                throw new InputException("spark.kryoserializer.buffer.max = " + conf.get("spark.kryoserializer.buffer.max",
                        "64m") + " is below a worker's round result of " + human(result) + ": set it to at least "
                        + mib(result) + " (at most 2047m)");
            }
        }
        long maxResult = conf.getSizeAsBytes("spark.driver.maxResultSize", "1g");
        if (maxResult > 0 && result * workers > maxResult) {
            throw new InputException("spark.driver.maxResultSize = " + conf.get("spark.driver.maxResultSize", "1g")
                    + " is below the " + human(result * workers) + " a round returns (" + workers + " worker(s) x "
                    + human(result) + " of parameters and updater state): set it to at least "
                    + mib(result * workers) + " (or 0 for no limit)");
        }
    }

    private static String mib(long bytes) {
        return ((bytes + (1L << 20) - 1) >> 20) + "m";
    }
}
