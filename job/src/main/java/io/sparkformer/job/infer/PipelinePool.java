package io.sparkformer.job.infer;

import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Pipelines kept per JVM, keyed by what they are and the checkpoint URI, so that an executor loads a
 * checkpoint once and not once per task. A DL4J graph is not safe to run from two threads at once,
 * so a task borrows an instance for its partition and returns it: an executor running N tasks at a
 * time holds at most N copies, and every later task reuses them.
 */
public final class PipelinePool {
    private static final Map<String, Queue<Object>> IDLE = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> LOADS = new ConcurrentHashMap<>();

    private PipelinePool() {
    }

    /** An idle pipeline for {@code key}, or a new one from {@code load}; give it back with {@link #release}. */
    public static <P> P borrow(String key, Supplier<P> load) {
        @SuppressWarnings("unchecked")
        P idle = (P) IDLE.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).poll();
        if (idle != null) {
            return idle;
        }
        P loaded = load.get();
        LOADS.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        return loaded;
    }

    public static void release(String key, Object pipeline) {
        IDLE.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(pipeline);
    }

    /** How many times this JVM has loaded {@code key}'s pipeline. */
    public static int loads(String key) {
        AtomicInteger n = LOADS.get(key);
        return n == null ? 0 : n.get();
    }
}
