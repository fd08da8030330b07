package io.sparkformer.job.train;

import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Idle worker models of this JVM, per training master. Two tasks of one round in the same executor
 * each borrow their own model; only the few most recent masters keep theirs, so a JVM that runs
 * many trainings (tests, a long-lived cluster) does not accumulate models.
 */
final class WorkerModels {
    private static final int MASTERS_KEPT = 4;
    private static final Map<String, Deque<ComputationGraph>> IDLE = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deque<ComputationGraph>> eldest) {
            return size() > MASTERS_KEPT;
        }
    };

    private WorkerModels() {
    }

    static ComputationGraph borrow(String key, Supplier<ComputationGraph> build) {
        synchronized (IDLE) {
            Deque<ComputationGraph> idle = IDLE.get(key);
            if (idle != null && !idle.isEmpty()) {
                return idle.pop();
            }
        }
        return build.get();
    }

    static void giveBack(String key, ComputationGraph model) {
        synchronized (IDLE) {
            IDLE.computeIfAbsent(key, k -> new ArrayDeque<>()).push(model);
        }
    }
}
