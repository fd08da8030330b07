package io.sparkformer.job.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Builds the job's Spark context the way Spark's own examples do: no master in code. spark-submit
 * (or the embedded launcher's {@code -Dspark.master}) decides; {@code local[*]} only when nothing did.
 */
public final class SparkContexts {
    private SparkContexts() {
    }

    public static JavaSparkContext create(String appName) {
        SparkConf conf = new SparkConf().setIfMissing("spark.app.name", appName);   // spark-submit --name wins
        if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        return JavaSparkContext.fromSparkContext(org.apache.spark.SparkContext.getOrCreate(withJobDefaults(conf)));
    }

    /** The job's Spark settings, each only where the user has not set it. */
    public static SparkConf withJobDefaults(SparkConf conf) {
        // Every averaging round ships parameters and Adam state to the workers and back. Java
        // serialization (and ND4J's own Kryo serializer) write an INDArray float by float: ~240 ms
        // per round for the baby GPT. Kryo with a bulk-copy serializer for arrays instead.
        conf.setIfMissing("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        conf.setIfMissing("spark.kryo.registrator", NdArrayKryoRegistrator.class.getName());
        conf.setIfMissing("spark.kryoserializer.buffer", "16m");
        // Task results and broadcasts are Kryo streams (no ceiling); this only bounds objects Spark
        // serializes in one piece, e.g. a collected array: the largest Spark allows, grown as needed.
        conf.setIfMissing("spark.kryoserializer.buffer.max", "2047m");
        // The driver holds each result it is receiving on its heap about 3 times over (RoundSizeLimits):
        // one at a time rather than Spark's 4 keeps a big model's driver heap at ~4x one result (the
        // DAG scheduler sums them one at a time anyway).
        conf.setIfMissing("spark.resultGetter.threads", "1");
        // Parameters and Adam state are float noise to LZ4: compressing the round's broadcast only
        // costs CPU. Task results (the same arrays, back) go straight to the driver instead of
        // through a block-manager fetch, up to the RPC message limit.
        conf.setIfMissing("spark.broadcast.compress", "false");
        // Nor is its Adler-32 over every block worth ~5 ms a round: executors fetch blocks over
        // TCP, whose own checksums already guard the transfer.
        conf.setIfMissing("spark.broadcast.checksum", "false");
        conf.setIfMissing("spark.task.maxDirectResultSize", "128m");
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        if (conf.get("spark.master", "").startsWith("local")) {
            // One JVM is driver and executors: Spark's context cleaner frees the rounds' RDDs and
            // broadcasts only once their weak references are collected, so in bursts (up to ~270
            // threads) and late, and freed ND4J memory waits for the same collections. A collection
            // every 15 s kept the baby GPT's local[2] resident memory at 502-513 MB from step 500 to
            // 1750 (without: 472 -> 545 MB, a heap expansion and the thread burst at step 1500).
            conf.setIfMissing("spark.cleaner.periodicGC.interval", "15s");
        }
        return conf;
    }
}
