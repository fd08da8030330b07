package io.sparkformer.job.train;

import io.sparkformer.InputException;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.model.MemoryEstimate;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.bytedeco.javacpp.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static io.sparkformer.model.MemoryEstimate.human;

/**
 * Refuses to train when an executor's ND4J off-heap budget is smaller than the model needs, with a
 * one-line message (exit code 2), instead of an ND4J out-of-memory error or a container killed by
 * YARN or Kubernetes hours into the run. The budget is the smallest of: javacpp's {@code maxbytes}
 * and {@code maxphysicalbytes} minus the heap, read on the executors themselves, and on YARN and
 * Kubernetes the container's memory overhead, since ND4J arrays live outside the heap.
 */
public final class OffHeapBudget {
    private static final Logger LOG = LoggerFactory.getLogger(OffHeapBudget.class);
    static final long MIN_OVERHEAD_MIB = 384;
    static final double DEFAULT_OVERHEAD_FACTOR = 0.1;
    /** Native memory the JVM itself uses beyond the heap (metaspace, code cache, threads, Netty). */
    static final long JVM_NATIVE_BYTES = 256L << 20;

    /** One JVM's javacpp limits, as read inside it. */
    record Probe(String executorId, String host, long pid, long maxBytes, long maxPhysicalBytes, long maxHeap)
            implements Serializable {
        static Probe here() {
            String id = SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId();
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "unknown";
            }
            return new Probe(id, host, ProcessHandle.current().pid(), Pointer.maxBytes(), Pointer.maxPhysicalBytes(),
                    Runtime.getRuntime().maxMemory());
        }

        String where() {
            return ("driver".equals(executorId) ? "the driver" : "executor " + executorId) + " (pid " + pid + " on "
                    + host + ")";
        }
    }

    /** A ceiling on off-heap bytes and where it comes from. */
    record Limit(long bytes, String source) {
    }

    private OffHeapBudget() {
    }

    /**
     * Checks the driver and the executors of {@code sc} for what {@code train} trains with this config
     * (the model family decides); throws {@link InputException} when one is short.
     */
    public static void check(JavaSparkContext sc, SparkformerConfig config, int vocabSize) {
        check(sc, config, MemoryEstimate.Task.of(config.model()), vocabSize);
    }

    /** The same check for {@code task} (a fine-tune trains {@link MemoryEstimate.Task#BERT_CLASSIFIER}). */
    public static void check(JavaSparkContext sc, SparkformerConfig config, MemoryEstimate.Task task, int vocabSize) {
        MemoryEstimate e = MemoryEstimate.of(config, task, vocabSize);
        SparkConf conf = sc.getConf();
        String master = sc.master();
        if (master.equals("local") || master.startsWith("local[")) {
            // Driver and executors are one JVM: concurrent replicas plus the driver's own copy.
            int replicas = Math.min(config.spark().workers(),
                    ThreadBudget.localSlots(master, Runtime.getRuntime().availableProcessors()));
            long need = e.trainingBytes(replicas) + e.stateBytes();
            require("this JVM's", need, breakdown(e, replicas) + " + the driver's copy " + human(e.stateBytes()),
                    javacppLimits(Probe.here()), "-Dorg.bytedeco.javacpp.maxbytes (SPARKFORMER_OFFHEAP with "
                            + "submit/sparkformer)");
            return;
        }
        boolean containers = master.startsWith("yarn") || master.startsWith("k8s");
        int replicas = replicasPerExecutor(conf, config.spark().workers());
        List<Probe> executors = probeExecutors(sc, Math.max(config.spark().workers(), sc.defaultParallelism()));
        LOG.info("Off-heap: a training replica needs about {}; executors: {}", human(e.trainingBytes()),
                executors.stream().map(p -> p.where() + " maxbytes " + human(p.maxBytes())).toList());
        List<Limit> limits = new ArrayList<>();
        for (Probe p : executors) {
            limits.addAll(javacppLimits(p));
        }
        if (containers) {
            limits.add(containerLimit(conf, "executor"));
        }
        require("the executor's", e.trainingBytes(replicas), breakdown(e, replicas), limits,
                containers ? "spark.executor.memoryOverhead and -Dorg.bytedeco.javacpp.maxbytes in "
                        + "spark.executor.extraJavaOptions" : "-Dorg.bytedeco.javacpp.maxbytes in "
                        + "spark.executor.extraJavaOptions");
        // The driver holds the averaged model and its updater state and runs validation forward passes.
        List<Limit> driver = new ArrayList<>(javacppLimits(Probe.here()));
        if (containers && "cluster".equals(conf.get("spark.submit.deployMode", "client"))) {
            driver.add(containerLimit(conf, "driver"));
        }
        require("the driver's", e.trainingBytes(), breakdown(e, 1), driver,
                "-Dorg.bytedeco.javacpp.maxbytes in spark.driver.extraJavaOptions"
                        + (containers ? " and spark.driver.memoryOverhead" : ""));
    }

    /**
     * Throws when {@code need} exceeds the smallest limit:
     * "the executor's off-heap budget is too small for this model: ...".
     */
    static void require(String whose, long need, String breakdown, List<Limit> limits, String knobs) {
        Limit smallest = limits.stream().min(java.util.Comparator.comparingLong(Limit::bytes)).orElse(null);
        if (smallest != null && need > smallest.bytes()) {
            throw new InputException(whose + " off-heap budget is too small for this model: training needs about "
                    + human(need) + " (" + breakdown + ") but " + smallest.source() + " allows " + human(smallest.bytes())
                    + "; raise " + knobs + ", or lower train.batchSize");
        }
    }

    static String breakdown(MemoryEstimate e, int replicas) {
        return (replicas == 1 ? "1 replica: " : replicas + " replicas x ") + "state " + human(e.stateBytes())
                + " + activations " + human(e.activationBytes()) + " + logits " + human(e.logitBytes())
                + ", ND4J runtime " + human(MemoryEstimate.RUNTIME_BYTES);
    }

    static List<Limit> javacppLimits(Probe p) {
        List<Limit> limits = new ArrayList<>();
        if (p.maxBytes() > 0) {
            limits.add(new Limit(p.maxBytes(), "org.bytedeco.javacpp.maxbytes on " + p.where()));
        }
        if (p.maxPhysicalBytes() > 0) {
            limits.add(new Limit(Math.max(0, p.maxPhysicalBytes() - p.maxHeap()),
                    "org.bytedeco.javacpp.maxphysicalbytes less the heap on " + p.where()));
        }
        return limits;
    }

    /** Training tasks one executor runs at once: spark.executor.cores / spark.task.cpus, at most the workers. */
    static int replicasPerExecutor(SparkConf conf, int workers) {
        int cores = conf.getInt("spark.executor.cores", 1);
        int perTask = Math.max(1, conf.getInt("spark.task.cpus", 1));
        return Math.max(1, Math.min(workers, cores / perTask));
    }

    /** What a YARN/Kubernetes container leaves ND4J: the memory overhead less the JVM's own native memory. */
    static Limit containerLimit(SparkConf conf, String role) {
        long overhead = overheadBytes(conf, role);
        return new Limit(Math.max(0, overhead - JVM_NATIVE_BYTES), "spark." + role + ".memoryOverhead ("
                + human(overhead) + ", less " + human(JVM_NATIVE_BYTES) + " for the JVM's own native memory)");
    }

    /** The container memory beyond the heap that YARN and Kubernetes grant: Spark's own rule. */
    static long overheadBytes(SparkConf conf, String role) {
        String key = "spark." + role + ".memoryOverhead";
        if (conf.contains(key)) {
            return conf.getSizeAsMb(key) << 20;
        }
        long memoryMib = conf.getSizeAsMb("spark." + role + ".memory", "1g");
        double factor = conf.getDouble("spark." + role + ".memoryOverheadFactor", DEFAULT_OVERHEAD_FACTOR);
        return Math.max(MIN_OVERHEAD_MIB, (long) (factor * memoryMib)) << 20;
    }

    /** Runs one tiny task per slot and returns each distinct executor JVM's limits. */
    static List<Probe> probeExecutors(JavaSparkContext sc, int tasks) {
        List<Integer> ids = IntStream.range(0, tasks).boxed().toList();
        Map<Long, Probe> byPid = new LinkedHashMap<>();
        for (Probe p : sc.parallelize(ids, tasks).map(i -> Probe.here()).collect()) {
            byPid.putIfAbsent(p.pid() * 31 + p.host().hashCode(), p);
        }
        return List.copyOf(byPid.values());
    }
}
