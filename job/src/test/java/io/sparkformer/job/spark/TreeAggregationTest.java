package io.sparkformer.job.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The tree-aggregation shape the size checks and the cost model assume is Spark's own. */
class TreeAggregationTest {
    @Test
    void dl4jsDepthTwoLeavesTheseResultsForTheDriver() {
        assertEquals(List.of(), TreeAggregation.levels(2, 2));
        assertEquals(List.of(), TreeAggregation.levels(5, 2));
        assertEquals(List.of(2), TreeAggregation.levels(8, 2));
        assertEquals(List.of(4), TreeAggregation.levels(16, 2));
        assertEquals(List.of(8), TreeAggregation.levels(64, 2));
        assertEquals(List.of(250, 62, 15, 3), TreeAggregation.levels(1000, 6));   // scale 4, fixed from the start
        assertEquals(8, TreeAggregation.driverResults(64, 2));
        assertEquals(3, TreeAggregation.driverResults(3, 2));
    }

    /** Counts the merges Spark's treeAggregate runs on the driver (outside any task) for n partitions. */
    @Test
    void sparksTreeAggregateMergesThatManyResultsOnTheDriver() {
        try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("tree")
                .set("spark.ui.enabled", "false"))) {
            for (int n : new int[] {2, 5, 6, 8, 16, 20}) {
                CollectionAccumulator<Integer> executorMerges = sc.sc().collectionAccumulator();
                AtomicInteger driverMerges = new AtomicInteger();
                List<Integer> data = IntStream.range(0, n).boxed().toList();
                int sum = sc.parallelize(data, n).treeAggregate(0, Integer::sum, (a, b) -> {
                    if (TaskContext.get() == null) {
                        driverMerges.incrementAndGet();
                    } else {
                        executorMerges.add(1);
                    }
                    return a + b;
                }, TreeAggregation.DL4J_DEPTH);
                assertEquals(n * (n - 1) / 2, sum);
                assertEquals(TreeAggregation.driverResults(n, TreeAggregation.DL4J_DEPTH), driverMerges.get(), "n=" + n);
            }
        }
    }
}
