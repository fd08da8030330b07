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
 *   heap        = 512 MiB + 2 x state                                      Spark, serialized rounds, checkpoints
 *   maxPhysical = heap + offHeap + 768 MiB                                 JVM and native libraries
 * </pre>
 * With a character tokenizer the vocabulary is what the corpus holds, unknown before it is read:
 * 256 stands in for it (the job's own check, {@link OffHeapBudget}, uses the real one).
 */
public record JvmMemory(long heapBytes, long offHeapBytes, long maxPhysicalBytes) {
    static final long MIB = 1L << 20;
    static final long BASE_HEAP = 512 * MIB;
    static final long NATIVE_BYTES = 768 * MIB;
    static final int CHAR_VOCABULARY = 256;

    /** For {@code replicas} training replicas in one JVM (local mode) plus the driver's model. */
    public static JvmMemory of(SparkformerConfig config, int replicas) {
        return of(config, MemoryEstimate.Task.of(config.model()), vocabulary(config), replicas);
    }

    /** For {@code replicas} replicas training {@code task} over {@code vocab} tokens, plus the driver's model. */
    public static JvmMemory of(SparkformerConfig config, MemoryEstimate.Task task, int vocab, int replicas) {
        MemoryEstimate e = MemoryEstimate.of(config, task, vocab);
        long offHeap = roundUp(3 * (e.trainingBytes(replicas) + e.stateBytes()) / 2);
        long heap = roundUp(BASE_HEAP + 2 * e.stateBytes());
        return new JvmMemory(heap, offHeap, heap + offHeap + NATIVE_BYTES);
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
