package io.sparkformer.job.train;

import io.sparkformer.config.SparkConfig;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * ND4J (OpenMP) threads per training task. Oversubscribing cores costs 5-10x with OpenMP's spinning
 * threads, so each task gets its share: in local mode the cores divided among concurrent workers,
 * on a cluster {@code spark.task.cpus}; {@code spark.threadsPerWorker} overrides both.
 */
final class ThreadBudget {
    private ThreadBudget() {
    }

    static int perWorker(JavaSparkContext sc, SparkConfig spark) {
        if (spark.threadsPerWorker() > 0) {
            return spark.threadsPerWorker();
        }
        String master = sc.master();
        if (master.startsWith("local")) {
            int cores = Runtime.getRuntime().availableProcessors();
            int slots = localSlots(master, cores);
            return Math.max(1, cores / Math.max(1, Math.min(slots, spark.workers())));
        }
        return Math.max(1, sc.getConf().getInt("spark.task.cpus", 1));
    }

    static int localSlots(String master, int cores) {
        // local, local[N], local[*], local[N,F]
        int open = master.indexOf('[');
        if (open < 0) {
            return 1;
        }
        String inside = master.substring(open + 1, master.indexOf(']')).split(",")[0].trim();
        return inside.equals("*") ? cores : Integer.parseInt(inside);
    }
}
