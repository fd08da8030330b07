package io.sparkformer.model.gpt;

import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.model.layer.WholeModelGraph;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;

import java.util.List;

/**
 * Builds the GPT family as a DL4J {@link ComputationGraph}: one input (token ids), one
 * {@link GptLayer}, AdamW, nanoGPT's schedule and global-norm clipping (see {@link WholeModelGraph}).
 */
public final class GptGraphBuilder {
    public static final String INPUT = WholeModelGraph.INPUT;
    public static final String LAYER = "gpt";

    private GptGraphBuilder() {
    }

    public static ComputationGraph build(SparkformerConfig config, int vocabSize, DataType dataType) {
        return WholeModelGraph.build(new GptLayer(GptSpec.of(config.model(), vocabSize)), LAYER,
                WholeModelGraph.Optimizer.of(config.train()), config.train().seed(), dataType);
    }

    public static ComputationGraph build(GptSpec spec, IUpdater updater, List<Regularization> weightDecay,
                                         double gradClip, long seed, DataType dataType) {
        return WholeModelGraph.build(new GptLayer(spec), LAYER, new WholeModelGraph.Optimizer(updater, weightDecay,
                gradClip), seed, dataType);
    }
}
