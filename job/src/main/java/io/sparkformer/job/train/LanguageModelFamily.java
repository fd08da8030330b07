package io.sparkformer.job.train;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.BatchPlan;
import io.sparkformer.data.BatchSource;
import io.sparkformer.job.engine.Family;
import io.sparkformer.tokenize.Tokenizer;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.Map;

/**
 * GPT and BERT pretraining on the round engine: windows of the prepared token stream as planned by
 * {@code plan}, validation loss on fixed validation windows, the engine's periodic checkpoints.
 */
record LanguageModelFamily(SparkformerConfig config, Tokenizer tokenizer, ComputationGraph graph, BatchPlan plan,
                           BatchSource batches, Validation validation) implements Family {

    @Override
    public double tokensPerStep() {
        return config.tokensPerStep();
    }

    @Override
    public String plotTitle(String runName) {
        return "Sparkformer: " + runName;
    }

    @Override
    public Map<String, Double> evaluate() {
        return validation.available() ? Map.of("val_loss", validation.loss(graph)) : Map.of();
    }

    @Override
    public long dataCursor(long step) {
        return plan.sequenceIndex(step, 0, 0);
    }

    @Override
    public Checkpoint checkpoint(TrainingState state) {
        return Checkpoint.of(state, config, tokenizer, graph);
    }
}
