package io.sparkformer.job.train;

import io.sparkformer.InputException;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.model.MemoryEstimate;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class OffHeapBudgetTest {
    private static final long MIB = 1L << 20;

    @Test
    void theSmallestLimitDecidesAndIsNamedInOneLine() {
        List<OffHeapBudget.Limit> limits = List.of(new OffHeapBudget.Limit(3000 * MIB, "maxbytes"),
                new OffHeapBudget.Limit(128 * MIB, "spark.executor.memoryOverhead (384 MiB, less 256 MiB ...)"));
        InputException e = assertThrows(InputException.class, () -> OffHeapBudget.require("the executor's",
                200 * MIB, "1 replica: ...", limits, "spark.executor.memoryOverhead"));
        assertEquals("the executor's off-heap budget is too small for this model: training needs about 200 MiB "
                + "(1 replica: ...) but spark.executor.memoryOverhead (384 MiB, less 256 MiB ...) allows 128 MiB; "
                + "raise spark.executor.memoryOverhead, or lower train.batchSize", e.getMessage());
        assertDoesNotThrow(() -> OffHeapBudget.require("the executor's", 128 * MIB, "", limits, "x"));
    }

    @Test
    void overheadFollowsSparksRuleUnlessSet() {
        SparkConf conf = new SparkConf(false).set("spark.executor.memory", "8g");
        assertEquals(819 * MIB, OffHeapBudget.overheadBytes(conf, "executor"), "10% of 8g");
        assertEquals(384 * MIB, OffHeapBudget.overheadBytes(new SparkConf(false), "executor"), "at least 384 MiB");
        conf.set("spark.executor.memoryOverheadFactor", "0.25");
        assertEquals(2048 * MIB, OffHeapBudget.overheadBytes(conf, "executor"));
        conf.set("spark.executor.memoryOverhead", "3g");
        assertEquals(3072 * MIB, OffHeapBudget.overheadBytes(conf, "executor"));
        assertEquals((3072 - 256) * MIB, OffHeapBudget.containerLimit(conf, "executor").bytes(),
                "the JVM's own native memory is not ND4J's");
    }

    @Test
    void concurrentTasksPerExecutorAreItsCoresOverTaskCpusAtMostTheWorkers() {
        SparkConf conf = new SparkConf(false).set("spark.executor.cores", "8").set("spark.task.cpus", "2");
        assertEquals(4, OffHeapBudget.replicasPerExecutor(conf, 16));
        assertEquals(2, OffHeapBudget.replicasPerExecutor(conf, 2));
        assertEquals(1, OffHeapBudget.replicasPerExecutor(new SparkConf(false), 4));
    }

    @Test
    void javacppLimitsAreMaxBytesAndPhysicalBytesLessTheHeap() {
        OffHeapBudget.Probe p = new OffHeapBudget.Probe("3", "node7", 4242, 3072 * MIB, 7600 * MIB, 4096 * MIB);
        List<OffHeapBudget.Limit> limits = OffHeapBudget.javacppLimits(p);
        assertEquals(3072 * MIB, limits.get(0).bytes());
        assertEquals("org.bytedeco.javacpp.maxbytes on executor 3 (pid 4242 on node7)", limits.get(0).source());
        assertEquals(3504 * MIB, limits.get(1).bytes());
    }

    @Test
    void theBabyGptFitsTheShippedDefaultsButNotSparksDefaultOverhead() {
        // nanoGPT's shakespeare-char GPT: 6 layers, 6 heads, 384 wide, 256 tokens, batch 12,
        // 65 characters: about 2.4 GiB off-heap per replica (the workspaces of a step, 2.2 GiB, dominate).
        SparkformerConfig c = ConfigLoader.defaults(List.of("model.layers=6", "model.heads=6", "model.embedDim=384",
                "model.contextLength=256", "train.batchSize=12"));
        long need = MemoryEstimate.of(c, 65).trainingBytes();
        SparkConf conf = new SparkConf(false).set("spark.executor.memory", "4g");
        InputException e = assertThrows(InputException.class, () -> OffHeapBudget.require("the executor's", need,
                "", List.of(OffHeapBudget.containerLimit(conf, "executor")), "spark.executor.memoryOverhead"));
        assertEquals(true, e.getMessage().contains("but spark.executor.memoryOverhead (409 MiB, less 256 MiB for the "
                + "JVM's own native memory) allows 153 MiB"), e.getMessage());
        conf.set("spark.executor.memoryOverhead", "4g");   // conf/spark-defaults.conf
        assertDoesNotThrow(() -> OffHeapBudget.require("the executor's", need, "",
                List.of(OffHeapBudget.containerLimit(conf, "executor")), "x"));
    }
}
