package io.sparkformer.config;

import java.io.Serializable;

/** How the job spreads over Spark: replicas and how often they are averaged. */
public record SparkConfig(int workers, int averagingFrequency, int threadsPerWorker) implements Serializable {
    public SparkConfig {
        ConfigChecks.positive("spark.workers", workers);
        ConfigChecks.positive("spark.averagingFrequency", averagingFrequency);
        ConfigChecks.nonNegative("spark.threadsPerWorker", threadsPerWorker);
    }
}
