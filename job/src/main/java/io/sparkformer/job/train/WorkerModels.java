package io.sparkformer.job.train;

import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Idle worker models of this JVM, per training master. Two tasks of one round in the same executor
 * each borrow their own model; only the few most recent masters keep theirs, so a JVM that runs
 * many trainings (tests, a long-lived cluster) does not accumulate models.
 *
 * <p>A model is lent out again only in a later round than the one that gave it back: a worker's
 * result is the model's own parameter and updater arrays (no copy, see {@link ReusingWorker}), which
 * Spark serializes after the task has given the model back (a local master's driver sums them in
 * place instead, before it starts the next round). A round is one Spark job, and the next job starts
 * only once every result of this one has reached the driver, so a model given back in round r is free
 * from round r + 1 on; a late task of round r (more partitions than slots, a retry)
 * builds its own instead.
 */
final class WorkerModels {
    private static final int MASTERS_KEPT = 4;
    private static final Map<String, Deque<Idle>> IDLE = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deque<Idle>> eldest) {
            return size() > MASTERS_KEPT;
        }
    };

    /** A model and the round (its broadcast's id; ids increase) in which it was given back. */
    private record Idle(ComputationGraph model, long round) {
    }

    private WorkerModels() {
    }

    /** An idle model of {@code key} given back before {@code round}, else a new one from {@code build}. */
    static ComputationGraph borrow(String key, long round, Supplier<ComputationGraph> build) {
        synchronized (IDLE) {
            Deque<Idle> idle = IDLE.get(key);
            if (idle != null) {
                for (Iterator<Idle> it = idle.iterator(); it.hasNext(); ) {
                    Idle i = it.next();
                    if (i.round() < round) {
                        it.remove();
                        return i.model();
                    }
                }
            }
        }
        return build.get();
    }

    static void giveBack(String key, ComputationGraph model, long round) {
        synchronized (IDLE) {
            IDLE.computeIfAbsent(key, k -> new ArrayDeque<>()).push(new Idle(model, round));
        }
    }
}
