package io.sparkformer.job.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.TrainConfig;
import io.sparkformer.data.BatchSource;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.Map;

/**
 * What a model family supplies to the {@link RoundEngine}: its graph, its batches, its evaluation,
 * its checkpoint policy and its stop rule. Everything else about a training run (rounds, non-finite
 * handling, the off-heap check, progress, metrics, plot, checkpoints, shutdown) is the engine's.
 */
public interface Family {

    /** The network the rounds train; parameter averaging updates it in place. */
    ComputationGraph graph();

    /**
     * Worker w's batch at step s, a pure function of (s, w): a resumed run replays the batches of an
     * uninterrupted one.
     */
    BatchSource batches();

    /** Training tokens one step consumes over all workers (a mean where sequence lengths vary). */
    double tokensPerStep();

    /**
     * The token count a session starts from: by default the checkpoint's. The engine adds
     * {@link #tokensPerStep()} for every step trained and rounds at each report.
     */
    default double tokensAtStart(TrainingState start) {
        return start.tokens();
    }

    /** The loss plot's title, e.g. {@code "Sparkformer seq2seq: run-name"}. */
    String plotTitle(String runName);

    /** Fields this family adds to every round's metrics line, after the common ones ({@code epoch}). */
    default void roundFields(ObjectNode line, long step) {
    }

    /**
     * One evaluation of {@link #graph()}: named metrics in the order they are written to the metrics
     * line ({@code val_loss} is the validation loss the progress line shows); empty when there is
     * nothing to evaluate on.
     */
    Map<String, Double> evaluate();

    /** What the progress line shows after the common part, given the latest value of every metric. */
    default String progressSuffix(long step, Map<String, Double> latest) {
        return "";
    }

    /** The data cursor a checkpoint at {@code step} records (sequences or examples consumed). */
    long dataCursor(long step);

    /** The checkpoint of {@link #graph()} as it is now, with this family's tokenizers. */
    Checkpoint checkpoint(TrainingState state);

    /**
     * When checkpoints are written (and where rounds must end so that they can be); called once per
     * run. By default every {@code train.checkpointEvery} steps or minutes and on shutdown.
     */
    default CheckpointPolicy checkpoints(TrainConfig train) {
        return new PeriodicCheckpoints(train);
    }

    /** When training ends before {@code train.steps}. */
    default StopRule stopRule() {
        return StopRule.NEVER;
    }
}
