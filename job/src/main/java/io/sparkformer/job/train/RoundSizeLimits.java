package io.sparkformer.job.train;

import io.sparkformer.InputException;
import io.sparkformer.job.spark.TreeAggregation;
import org.apache.spark.SparkConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static io.sparkformer.model.MemoryEstimate.human;

/**
 * Spark settings that the model's size decides, checked before the first round so that a big model
 * fails at once with a line naming the setting, not after its first round with an aborted job or a
 * driver out of heap. Each round the driver broadcasts the parameters and updater state (Adam: two
 * moments, 12 bytes a float parameter, ~1.3 GB for gpt-small) and every worker returns the same
 * amount as one task result; Spark's tree aggregation sums results on executors first when there are
 * enough workers ({@link TreeAggregation}), so the driver receives fewer results than there are workers.
 * With a local master none of this is serialized, so only cluster masters are checked.
 * <ul>
 *   <li>{@code spark.driver.maxResultSize}: caps the sum of the results the driver receives in a round
 *       (Spark's default 1g);</li>
 *   <li>the driver's heap ({@code spark.driver.memory}): Spark holds a received result on the heap
 *       twice (the fetched block, then the value's bytes) before it becomes off-heap arrays, for up to
 *       {@code spark.resultGetter.threads} results at once, next to the broadcast's serialized blocks.
 *       Measured with 491 MiB results (42.8 M parameters), 2 workers, 4 result threads: a 3g heap ran
 *       out, 6g did not; {@link #RESULT_HEAP_COPIES} is set between those two.</li>
 * </ul>
 * Nothing needs a ceiling beyond these. Since Spark 3.4 (SPARK-40622) a task result is serialized as a
 * stream into chunks, so neither {@code spark.kryoserializer.buffer.max} nor a 2 GB array limit bounds
 * it; results above {@code min(spark.task.maxDirectResultSize, spark.rpc.message.maxSize)} travel
 * through the block manager, not as one RPC message, so {@code spark.rpc.message.maxSize} needs
 * nothing. The broadcast is written as a stream in {@code spark.broadcast.blockSize} blocks.
 */
public final class RoundSizeLimits {
    private static final Logger LOG = LoggerFactory.getLogger(RoundSizeLimits.class);
    /** The training result's other fields (score, counts) and Kryo's framing, per result. */
    static final long RESULT_OVERHEAD = 1L << 20;
    /** Heap bytes per byte of a result being received (see the class comment). */
    static final double RESULT_HEAP_COPIES = 3;
    /** What the driver's heap holds besides results and the broadcast: Spark itself, the data plan. */
    static final long DRIVER_BASE_HEAP = 512L << 20;

    private RoundSizeLimits() {
    }

    /** {@link #check(SparkConf, long, int, long)} against this JVM's heap (the driver's). */
    public static void check(SparkConf conf, long resultBytes, int workers) {
        check(conf, resultBytes, workers, Runtime.getRuntime().maxMemory());
    }

    /**
     * @param resultBytes what one worker returns: parameters and updater state, serialized
     * @param workers     task results per round
     * @param driverHeap  the driver JVM's maximum heap
     * @throws InputException naming the setting to raise
     */
    static void check(SparkConf conf, long resultBytes, int workers, long driverHeap) {
        if (local(conf)) {
            LOG.info("Each round: {} worker(s) in this JVM read the driver's model state and return their own ({})"
                    + " by reference, nothing serialized", workers, human(resultBytes));
            return;
        }
        long result = resultBytes + RESULT_OVERHEAD;
        int received = TreeAggregation.driverResults(workers, TreeAggregation.DL4J_DEPTH);
        LOG.info("Each round: a broadcast of {} to each of {} worker(s); {} worker result(s) of {} (parameters and"
                        + " updater state), {} summed on executors first, {} result(s) to the driver, {} in all",
                human(resultBytes), workers, workers, human(result), workers - received, received,
                human(result * received));
        long maxResult = conf.getSizeAsBytes("spark.driver.maxResultSize", "1g");
        if (maxResult > 0 && result * received > maxResult) {
            throw new InputException("spark.driver.maxResultSize = " + conf.get("spark.driver.maxResultSize", "1g")
                    + " is below the " + human(result * received) + " a round returns (" + received + " result(s) x "
                    + human(result) + " of parameters and updater state): set it to at least "
                    + mib(result * received) + " (or 0 for no limit)");
        }
        int concurrent = Math.min(conf.getInt("spark.resultGetter.threads", 4), received);
        long heap = DRIVER_BASE_HEAP + resultBytes + (long) (RESULT_HEAP_COPIES * result * concurrent);
        if (driverHeap < heap) {
            throw new InputException("the driver's heap (spark.driver.memory, " + human(driverHeap) + ") is below the"
                    + " ~" + human(heap) + " a round needs to receive " + concurrent + " result(s) of " + human(result)
                    + " at once (spark.resultGetter.threads = " + conf.getInt("spark.resultGetter.threads", 4)
                    + ") beside the broadcast: set spark.driver.memory to at least " + mib(heap)
                    + ", or spark.resultGetter.threads to 1");
        }
    }

    /**
     * In local[N] the executors share the driver's JVM, and the round's state goes back and forth by
     * reference ({@link io.sparkformer.job.spark.InJvmHandoff}): no result or broadcast is serialized.
     */
    private static boolean local(SparkConf conf) {
        String master = conf.get("spark.master", "local[*]");
        return master.equals("local") || master.startsWith("local[");
    }

    private static String mib(long bytes) {
        return ((bytes + (1L << 20) - 1) >> 20) + "m";
    }
}
