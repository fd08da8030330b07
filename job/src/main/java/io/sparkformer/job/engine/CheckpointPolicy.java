package io.sparkformer.job.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;

/**
 * When the {@link RoundEngine} writes a checkpoint: {@link PeriodicCheckpoints} (every N steps or
 * minutes, and on shutdown) or {@link KeepBest} (at an evaluation that beats every earlier one).
 */
public interface CheckpointPolicy {

    /**
     * The first step after {@code step} on which a round must end so that a checkpoint can fall on
     * it; {@link Long#MAX_VALUE} when checkpoints only follow evaluations.
     */
    long nextCut(long step);

    /** The run (re)starts at {@code step}, whose state needs no new checkpoint. */
    default void start(long step) {
    }

    /** The metrics.jsonl lines kept on resume (up to the checkpoint's step), for policies with memory. */
    default void resume(List<ObjectNode> lines) {
    }

    /** Called after every evaluation, before {@link #due}. */
    default void evaluated(long step, Map<String, Double> metrics) {
    }

    /** True when the round that ended at {@code step} should be followed by a checkpoint. */
    boolean due(long step, boolean stopRequested);

    /** Why {@link #due} holds, for the log line ("" for the regular case). */
    String reason(long step, boolean stopRequested);

    void saved(long step);

    /** The validation loss the checkpoint's state records, given the lowest one seen so far. */
    default double recordedValLoss(double lowestValLoss) {
        return lowestValLoss;
    }
}
