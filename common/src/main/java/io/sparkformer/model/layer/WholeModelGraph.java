package io.sparkformer.model.layer;

import io.sparkformer.config.TrainConfig;
import io.sparkformer.config.TrainConfig.Precision;
import io.sparkformer.model.kernel.Gemm;
import io.sparkformer.model.optim.FlatGradientUpdater;
import io.sparkformer.model.optim.LoopAdam;
import io.sparkformer.model.optim.LoopWeightDecay;
import io.sparkformer.train.WarmupCosineSchedule;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;

import java.util.List;

/**
 * A DL4J {@link ComputationGraph} of one input (token ids) and one {@link WholeModelLayer}, with the
 * optimiser every family trains with: AdamW (Adam, {@link LoopAdam}, + decoupled weight decay on matrices only),
 * nanoGPT's warmup + cosine schedule, and global-norm clipping (the whole model is one layer, so
 * DL4J's per-layer clip is the global clip).
 */
public final class WholeModelGraph {
    public static final String INPUT = "tokens";

    private WholeModelGraph() {
    }

    /** How parameters are updated: the updater, decoupled weight decay (matrices only), the clip norm. */
    public record Optimizer(IUpdater updater, List<Regularization> weightDecay, double gradClip) {
        /** AdamW with the warmup + cosine schedule of {@code train.*}. */
        public static Optimizer of(TrainConfig t) {
            IUpdater adam = new LoopAdam(new WarmupCosineSchedule(t.learningRate(), t.minLearningRate(),
                    t.warmupSteps(), t.decaySteps()), t.beta1(), t.beta2(), 1e-8);
            List<Regularization> decay = t.weightDecay() > 0 ? List.of(new LoopWeightDecay(t.weightDecay(), true))
                    : List.of();
            return new Optimizer(adam, decay, t.gradClip());
        }
    }

    /**
     * Sets the precision of {@code graph}'s matrix products, in its configuration (what Spark workers
     * and checkpoints receive) and in its live layers; refuses with one line if this JVM cannot run it.
     */
    public static void setPrecision(ComputationGraph graph, Precision precision) {
        Gemm.requireAvailable(precision);
        for (GraphVertex v : graph.getConfiguration().getVertices().values()) {
            if (v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof WholeModelLayer l) {
                l.setPrecision(precision);
            }
        }
        for (org.deeplearning4j.nn.api.Layer layer : graph.getLayers()) {
            if (layer.conf().getLayer() instanceof WholeModelLayer l) {
                l.setPrecision(precision);
            }
        }
    }

    public static ComputationGraph build(WholeModelLayer layer, String layerName, Optimizer optimizer, long seed,
                                         DataType dataType) {
        return build(layer, INPUT, layerName, optimizer, seed, dataType);
    }

    /** As above with the input named {@code inputName} (the seq2seq family's checkpoints call it "pairs"). */
    public static ComputationGraph build(WholeModelLayer layer, String inputName, String layerName,
                                         Optimizer optimizer, long seed, DataType dataType) {
        layer.setLayerName(layerName);
        layer.setRegularization(optimizer.weightDecay());
        layer.setRegularizationBias(List.of());
        if (optimizer.gradClip() > 0) {
            layer.setGradientNormalization(GradientNormalization.ClipL2PerLayer);
            layer.setGradientNormalizationThreshold(optimizer.gradClip());
        }
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(dataType)
                .updater(optimizer.updater())
                // The explicit backward pass caches its activations in DL4J's ACTIVATIONS workspace.
                .trainingWorkspaceMode(WorkspaceMode.ENABLED)
                .inferenceWorkspaceMode(WorkspaceMode.ENABLED)
                .graphBuilder()
                .addInputs(inputName)
                .addLayer(layerName, layer, inputName)
                .setOutputs(layerName)
                .build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return FlatGradientUpdater.install(graph);
    }
}
