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
        // Batches and results are plain Java-serializable objects; DL4J's Kryo registrator is not
        // needed (and its Kryo is excluded from the build).
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        return JavaSparkContext.fromSparkContext(org.apache.spark.SparkContext.getOrCreate(conf));
    }
}
