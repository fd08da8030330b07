package io.sparkformer.job.spark;

import org.apache.spark.SparkEnv;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Objects handed by reference between the driver and tasks that run in the driver's own JVM (a
 * {@code local} master), keyed by a number that increases with every object handed over. Spark
 * serializes a broadcast and a task result even when nothing leaves the JVM: at 10.7 M parameters a
 * round's model state (params + Adam moments) is 129 MB, and its serialized copies (Kryo's growing
 * buffer, the broadcast's pieces, the task result's bytes) took the local[2] driver's heap from
 * ~240 MB to ~1.1 GB each round.
 */
public final class InJvmHandoff {
    private static final Map<Long, Object> OBJECTS = new ConcurrentHashMap<>();
    private static final AtomicLong LAST_KEY = new AtomicLong();

    private InJvmHandoff() {
    }

    /** Whether this code runs in the driver's JVM: on the driver itself or in a local master's task. */
    private static boolean inDriverJvm() {
        SparkEnv env = SparkEnv.get();
        return env == null || "driver".equals(env.executorId());   // SparkContext.DRIVER_IDENTIFIER, private to Spark
    }

    /** Hands {@code value} over; the key is greater than any handed out before in this JVM. */
    public static long put(Object value) {
        long key = LAST_KEY.incrementAndGet();
        OBJECTS.put(key, value);
        return key;
    }

    /** The object under {@code key}, which stays handed over (several tasks may read it). */
    public static <T> T get(long key, Class<T> type) {
        return type.cast(present(key, OBJECTS.get(key)));
    }

    /** The object under {@code key}, no longer handed over. */
    public static <T> T take(long key, Class<T> type) {
        return type.cast(present(key, OBJECTS.remove(key)));
    }

    public static void remove(long key) {
        OBJECTS.remove(key);
    }

    private static Object present(long key, Object value) {
        if (value == null) {
            throw new IllegalStateException("nothing handed over under key " + key + " in this JVM ("
                    + (inDriverJvm() ? "the driver's" : "executor " + SparkEnv.get().executorId())
                    + "): an in-JVM handoff only works with a local master");
        }
        return value;
    }
}
