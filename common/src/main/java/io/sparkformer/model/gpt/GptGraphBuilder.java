package io.sparkformer.model.gpt;

import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.config.TrainConfig;
import io.sparkformer.train.WarmupCosineSchedule;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;

import java.util.List;

/**
 * Builds the GPT family as a DL4J {@link ComputationGraph}: one input (token ids), one
 * {@link GptLayer}, AdamW (Adam + decoupled weight decay on matrices), nanoGPT's schedule and
 * global-norm clipping (the whole model is one layer, so DL4J's per-layer clip is the global clip).
 */
public final class GptGraphBuilder {
    public static final String INPUT = "tokens";
    public static final String LAYER = "gpt";

    private GptGraphBuilder() {
    }

    public static ComputationGraph build(SparkformerConfig config, int vocabSize, DataType dataType) {
        TrainConfig t = config.train();
        IUpdater adam = Adam.builder()
                .learningRateSchedule(new WarmupCosineSchedule(t.learningRate(), t.minLearningRate(),
                        t.warmupSteps(), t.decaySteps()))
                .beta1(t.beta1()).beta2(t.beta2()).epsilon(1e-8)
                .build();
        List<Regularization> decay = t.weightDecay() > 0 ? List.of(new WeightDecay(t.weightDecay(), true)) : List.of();
        return build(GptSpec.of(config.model(), vocabSize), adam, decay, t.gradClip(), t.seed(), dataType);
    }

    public static ComputationGraph build(GptSpec spec, IUpdater updater, List<Regularization> weightDecay,
                                         double gradClip, long seed, DataType dataType) {
        GptLayer layer = new GptLayer(spec);
        layer.setLayerName(LAYER);
        layer.setRegularization(weightDecay);
        layer.setRegularizationBias(List.of());
        if (gradClip > 0) {
            layer.setGradientNormalization(GradientNormalization.ClipL2PerLayer);
            layer.setGradientNormalizationThreshold(gradClip);
        }
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(dataType)
                .updater(updater)
                // The explicit backward pass caches its activations in DL4J's ACTIVATIONS workspace.
                .trainingWorkspaceMode(WorkspaceMode.ENABLED)
                .inferenceWorkspaceMode(WorkspaceMode.ENABLED)
                .graphBuilder()
                .addInputs(INPUT)
                .addLayer(LAYER, layer, INPUT)
                .setOutputs(LAYER)
                .build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return graph;
    }
}
