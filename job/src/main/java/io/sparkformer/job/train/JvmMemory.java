package io.sparkformer.job.train;

import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.config.TokenizerConfig;
import io.sparkformer.model.MemoryEstimate;

import java.util.Locale;

/**
 * The memory one training JVM is given, derived from the model's off-heap estimate instead of fixed
 * sizes (the launcher's former 4g heap / 8g maxbytes / 16g maxphysicalbytes let garbage pile up to
 * 10 GB before javacpp forced a collection):
 * <pre>
 *   offHeap     = 1.5 x (replicas x replica + driver's copy of the state)   ND4J arrays and workspaces
 *   heap        = 512 MiB                                                 Spark, the data plan
 *   maxPhysical = heap + offHeap + 768 MiB                                 JVM and native libraries
 * </pre>
 * The heap does not grow with the model in local mode: a round's state goes to the workers and back
 * by reference, unserialized ({@link io.sparkformer.job.spark.InJvmHandoff}); 10.7 M parameters in
 * local[2] kept ~45 MB live in a 99 MB heap (2026-12-03).
 * On a cluster ({@link #executor}, {@link #driver}) each role is its own JVM: an executor holds its
 * replicas without the driver's copy, the driver one model with its updater state (it averages and
 * validates), and the container YARN or Kubernetes grants is heap + memoryOverhead with
 * <pre>
 *   memoryOverhead = offHeap + 1 GiB          maxPhysical = heap + offHeap + 768 MiB
 * </pre>
 * so javacpp collects, or fails with a message, 256 MiB before the cluster manager would kill the
 * container, and {@link OffHeapBudget}'s check (overhead less 256 MiB for the JVM) passes.
 * With a character tokenizer the vocabulary is what the corpus holds, unknown before it is read:
 * 256 stands in for it (the job's own check, {@link OffHeapBudget}, uses the real one).
 */
public record JvmMemory(long heapBytes, long offHeapBytes, long maxPhysicalBytes) {
    static final long MIB = 1L << 20;
    static final long BASE_HEAP = 512 * MIB;
    static final long NATIVE_BYTES = 768 * MIB;
    static final int CHAR_VOCABULARY = 256;
    static final long CONTAINER_NATIVE_BYTES = 1024 * MIB;
    static final long JAVACPP_MARGIN_BYTES = 256 * MIB;

    /** For {@code replicas} training replicas in one JVM (local mode) plus the driver's model. */
    public static JvmMemory of(SparkformerConfig config, int replicas) {
        return of(config, MemoryEstimate.Task.of(config.model()), vocabulary(config), replicas);
    }

    /** For {@code replicas} replicas training {@code task} over {@code vocab} tokens, plus the driver's model. */
    public static JvmMemory of(SparkformerConfig config, MemoryEstimate.Task task, int vocab, int replicas) {
        MemoryEstimate e = MemoryEstimate.of(config, task, vocab);
        long offHeap = roundUp(3 * (e.trainingBytes(replicas) + e.stateBytes()) / 2);
        return new JvmMemory(BASE_HEAP, offHeap, BASE_HEAP + offHeap + NATIVE_BYTES);
    }

    /** One executor of a cluster training {@code replicas} replicas at once (its cores / spark.task.cpus). */
    public static JvmMemory executor(SparkformerConfig config, MemoryEstimate.Task task, int vocab, int replicas) {
        MemoryEstimate e = MemoryEstimate.of(config, task, vocab);
        return container(e, roundUp(3 * e.trainingBytes(replicas) / 2));
    }

    /** The driver of a cluster run: the averaged model, its updater state and validation passes. */
    public static JvmMemory driver(SparkformerConfig config, MemoryEstimate.Task task, int vocab) {
        MemoryEstimate e = MemoryEstimate.of(config, task, vocab);
        return container(e, roundUp(3 * e.trainingBytes() / 2));
    }

    private static JvmMemory container(MemoryEstimate e, long offHeap) {
        long heap = roundUp(BASE_HEAP + 2 * e.stateBytes());
        return new JvmMemory(heap, offHeap, heap + offHeap + CONTAINER_NATIVE_BYTES - JAVACPP_MARGIN_BYTES);
    }

    /** What a worker returns each round: parameters and the updater's two moments (state less gradients). */
    static long resultBytes(MemoryEstimate e) {
        return 3 * e.stateBytes() / 4;
    }

    /** The container memory beyond the heap: ND4J's off-heap limit plus the JVM's own native memory. */
    public long overheadBytes() {
        return offHeapBytes + CONTAINER_NATIVE_BYTES;
    }

    /**
     * Spark settings for {@code role} (executor or driver): its heap, memoryOverhead and the javacpp
     * limits for its extraJavaOptions (which the submit scripts append to the Java 17 flags there).
     */
    public java.util.List<String> sparkConf(String role) {
        return java.util.List.of(
                "spark." + role + ".memory=" + heapBytes / MIB + "m",
                "spark." + role + ".memoryOverhead=" + overheadBytes() / MIB + "m",
                "spark." + role + ".extraJavaOptions=" + javacppOptions());
    }

    /** {@code -Dorg.bytedeco.javacpp.maxbytes=... -Dorg.bytedeco.javacpp.maxphysicalbytes=...}. */
    public String javacppOptions() {
        return String.format(Locale.ROOT, "-Dorg.bytedeco.javacpp.maxbytes=%dm -Dorg.bytedeco.javacpp.maxphysicalbytes=%dm",
                offHeapBytes / MIB, maxPhysicalBytes / MIB);
    }

    /** The vocabulary the estimate assumes: the BPE's size, or {@link #CHAR_VOCABULARY} characters. */
    public static int vocabulary(SparkformerConfig config) {
        TokenizerConfig t = config.tokenizer();
        return t.type() == TokenizerConfig.Type.BPE ? t.vocabSize() : CHAR_VOCABULARY;
    }

    /** Replicas a {@code local[N]} master trains at once: the workers, at most one per slot. */
    public static int localReplicas(SparkformerConfig config, String master) {
        return Math.min(config.spark().workers(),
                ThreadBudget.localSlots(master, Runtime.getRuntime().availableProcessors()));
    }

    /** "HEAP OFFHEAP MAXPHYSICAL" in MiB with an m suffix, as -Xmx and javacpp's properties take them. */
    public String launcherLine() {
        return String.format(Locale.ROOT, "%dm %dm %dm", heapBytes / MIB, offHeapBytes / MIB, maxPhysicalBytes / MIB);
    }

    private static long roundUp(long bytes) {
        long unit = 64 * MIB;
        return (bytes + unit - 1) / unit * unit;
    }
}
