package io.sparkformer.job.train;

import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.job.Cli;
import io.sparkformer.model.MemoryEstimate;
import io.sparkformer.model.MemoryEstimate.Task;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JvmMemoryTest {
    private static final long MIB = 1L << 20;

    private static SparkformerConfig shipped(String name, String... overrides) throws Exception {
        return ConfigLoader.load(Files.readString(Path.of("..", "conf", name)), "conf/" + name, List.of(overrides));
    }

    @Test
    void localModeHoldsEveryReplicaAndTheDriversCopyWithHalfAgainAsMargin() throws Exception {
        SparkformerConfig c = shipped("gpt-baby.conf", "spark.workers=2", "train.batchSize=6");
        MemoryEstimate e = MemoryEstimate.of(c, JvmMemory.CHAR_VOCABULARY);
        JvmMemory m = JvmMemory.of(c, 2);
        long need = e.trainingBytes(2) + e.stateBytes();
        assertTrue(m.offHeapBytes() >= 3 * need / 2 && m.offHeapBytes() < 3 * need / 2 + 64 * MIB, m.toString());
        assertEquals(0, m.offHeapBytes() % (64 * MIB), "whole 64 MiB units");
        assertEquals(m.heapBytes() + m.offHeapBytes() + JvmMemory.NATIVE_BYTES, m.maxPhysicalBytes());
        // Nothing of a round is serialized in local mode: the heap is Spark's and the data plan's, whatever the model.
        assertEquals(512 * MIB, m.heapBytes(), m.toString());
        assertEquals(m.heapBytes(), JvmMemory.of(shipped("gpt-small.conf", "spark.workers=2"), 2).heapBytes());
        assertEquals(m.heapBytes() / MIB + "m " + m.offHeapBytes() / MIB + "m " + m.maxPhysicalBytes() / MIB + "m",
                m.launcherLine());
    }

    @Test
    void aClusterExecutorsSettingsPassTheJobsOwnOffHeapCheck() throws Exception {
        for (String name : List.of("gpt-baby.conf", "bert-sst2.conf", "seq2seq-multi30k.conf", "gpt-small.conf")) {
            SparkformerConfig c = shipped(name);
            int vocab = JvmMemory.vocabulary(c);
            JvmMemory executor = JvmMemory.executor(c, Task.of(c.model()), vocab, 1);
            SparkConf conf = new SparkConf(false);
            for (String line : executor.sparkConf("executor")) {
                conf.set(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
            long need = MemoryEstimate.of(c, vocab).trainingBytes();
            // What OffHeapBudget reads on a YARN/Kubernetes executor: the container's overhead and javacpp's limits.
            List<OffHeapBudget.Limit> limits = new java.util.ArrayList<>(List.of(OffHeapBudget.containerLimit(conf,
                    "executor")));
            limits.addAll(OffHeapBudget.javacppLimits(new OffHeapBudget.Probe("1", "h", 1, executor.offHeapBytes(),
                    executor.maxPhysicalBytes(), executor.heapBytes())));
            assertDoesNotThrow(() -> OffHeapBudget.require("the executor's", need, "", limits, "x"), name);
            long container = (conf.getSizeAsMb("spark.executor.memory") + conf.getSizeAsMb("spark.executor.memoryOverhead"))
                    * MIB;
            assertEquals(container - 256 * MIB, executor.maxPhysicalBytes(),
                    name + ": javacpp collects or fails 256 MiB before the container limit");
            assertTrue(conf.get("spark.executor.extraJavaOptions").matches(
                    "-Dorg\\.bytedeco\\.javacpp\\.maxbytes=\\d+m -Dorg\\.bytedeco\\.javacpp\\.maxphysicalbytes=\\d+m"));
        }
    }

    @Test
    void twoReplicasPerExecutorNeedAboutTwiceTheOffHeapOfOne() throws Exception {
        SparkformerConfig c = shipped("bert-sst2.conf");
        JvmMemory one = JvmMemory.executor(c, Task.BERT_MLM, 4096, 1);
        JvmMemory two = JvmMemory.executor(c, Task.BERT_MLM, 4096, 2);
        MemoryEstimate e = MemoryEstimate.of(c, 4096);
        assertTrue(Math.abs(two.offHeapBytes() - one.offHeapBytes() - 3 * e.replicaBytes() / 2) <= 64 * MIB,
                one + " vs " + two);
        assertEquals(one.heapBytes(), two.heapBytes());
    }

    @Test
    void theMemoryCommandPrintsTheLauncherLineLocallyAndSparkSettingsForAClusterMaster() {
        Cli.Result local = Cli.run("memory", "--config", "../conf/gpt-baby.conf", "--master", "local[2]",
                "--set", "spark.workers=2", "--set", "train.batchSize=6");
        assertEquals(0, local.code(), local.err());
        assertTrue(local.out().trim().matches("\\d+m \\d+m \\d+m"), local.out());

        Cli.Result yarn = Cli.run("memory", "--config", "../conf/seq2seq-multi30k.conf", "--master", "yarn");
        assertEquals(0, yarn.code(), yarn.err());
        List<String> lines = yarn.out().lines().toList();
        assertEquals(6, lines.size(), yarn.out());
        assertTrue(lines.get(0).matches("spark\\.executor\\.memory=\\d+m"), lines.get(0));
        assertTrue(lines.get(1).matches("spark\\.executor\\.memoryOverhead=\\d+m"), lines.get(1));
        assertTrue(lines.get(2).startsWith("spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.maxbytes="));
        assertTrue(lines.get(3).startsWith("spark.driver.memory="), lines.get(3));

        Cli.Result bad = Cli.run("memory", "--config", "../conf/gpt-tiny.conf", "--task", "pretrain");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--task must be train or finetune, got 'pretrain'"), bad.err());
    }
}
