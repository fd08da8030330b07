package io.sparkformer.job.spark;

import java.util.ArrayList;
import java.util.List;

/**
 * The shape of Spark's {@code RDD.treeAggregate} (Spark 3.5 and 4.x alike), which DL4J's parameter
 * averaging uses to sum the workers' results: with {@code scale = max(ceil(n^(1/depth)), 2)}, while
 * {@code n > scale + ceil(n / scale)} a shuffle level folds the n partial results into
 * {@code n / scale} (integer division); the remaining partial results go to the driver. With DL4J's
 * depth 2: 2-5 workers send everything to the driver, 8 workers end in 2 results, 16 in 4, 64 in 8.
 */
public final class TreeAggregation {
    /** DL4J's {@code ParameterAveragingTrainingMaster} default, which the job keeps. */
    public static final int DL4J_DEPTH = 2;

    private TreeAggregation() {
    }

    /** Partition counts after each shuffle level, first to last; empty when everything goes to the driver. */
    public static List<Integer> levels(int partitions, int depth) {
        if (partitions < 1 || depth < 1) {
            throw new IllegalArgumentException("partitions and depth must be at least 1, got " + partitions + ", " + depth);
        }
        List<Integer> levels = new ArrayList<>();
        int n = partitions;
        int scale = Math.max((int) Math.ceil(Math.pow(n, 1.0 / depth)), 2);
        while (n > scale + (int) Math.ceil((double) n / scale)) {
            n /= scale;
            levels.add(n);
        }
        return levels;
    }

    /** How many partial results the driver receives and folds. */
    public static int driverResults(int partitions, int depth) {
        List<Integer> levels = levels(partitions, depth);
        return levels.isEmpty() ? partitions : levels.get(levels.size() - 1);
    }
}
