package io.sparkformer.train;

import io.sparkformer.data.BatchPlan;
import io.sparkformer.data.Batches;
import io.sparkformer.data.TokenSource;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * The single-JVM training loop: the batches of {@link BatchPlan} worker 0, one optimizer step each.
 * It is the reference the Spark job must match with one worker averaging every step.
 */
public final class LocalTrainer {
    private final ComputationGraph graph;
    private final TokenSource train;
    private final BatchPlan plan;

    public LocalTrainer(ComputationGraph graph, TokenSource train, BatchPlan plan) {
        this.graph = graph;
        this.train = train;
        this.plan = plan;
    }

    /** Runs optimizer step {@code step} (zero-based) and returns its training loss. */
    public double step(long step) {
        graph.fit(Batches.of(train, plan.starts(step, 0), plan.contextLength()));
        return graph.score();
    }
}
