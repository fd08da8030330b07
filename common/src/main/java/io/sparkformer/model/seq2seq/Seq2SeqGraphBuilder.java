package io.sparkformer.model.seq2seq;

import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.config.TrainConfig;
import io.sparkformer.model.layer.WholeModelGraph;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;

import java.util.List;

/**
 * Builds the encoder-decoder family as a DL4J {@link ComputationGraph}: one input (packed source and
 * decoder-input ids, see {@link PackedPairs}), one {@link Seq2SeqLayer}, and the optimiser every
 * family trains with: AdamW (Adam + decoupled weight decay on matrices), the warmup + cosine
 * schedule and global-norm clipping (one layer, so DL4J's per-layer clip is the global clip).
 */
public final class Seq2SeqGraphBuilder {
    public static final String INPUT = "pairs";
    public static final String LAYER = "seq2seq";

    private Seq2SeqGraphBuilder() {
    }

    public static ComputationGraph build(SparkformerConfig config, int sourceVocabSize, int targetVocabSize,
                                         DataType dataType) {
        TrainConfig t = config.train();
        WholeModelGraph.Optimizer optimizer = WholeModelGraph.Optimizer.of(t);
        Seq2SeqSpec spec = Seq2SeqSpec.of(config.model(), config.seq2seq(), sourceVocabSize, targetVocabSize);
        return build(spec, optimizer.updater(), optimizer.weightDecay(), optimizer.gradClip(), t.seed(), dataType);
    }

    public static ComputationGraph build(Seq2SeqSpec spec, IUpdater updater, List<Regularization> weightDecay,
                                         double gradClip, long seed, DataType dataType) {
        Seq2SeqLayer layer = new Seq2SeqLayer(spec);
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

    /** The spec of a graph built here (a checkpoint's model), or an error naming what it is instead. */
    public static Seq2SeqSpec spec(ComputationGraph graph, String origin) {
        if (graph.getConfiguration().getVertices().get(LAYER) == null
                || !(graph.getLayer(LAYER).conf().getLayer() instanceof Seq2SeqLayer layer)) {
            throw new IllegalArgumentException(origin + " does not hold an encoder-decoder (seq2seq) model");
        }
        return layer.spec();
    }
}
