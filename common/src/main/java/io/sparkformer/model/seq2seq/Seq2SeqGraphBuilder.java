package io.sparkformer.model.seq2seq;

import io.sparkformer.InputException;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.model.layer.WholeModelGraph;
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
        Seq2SeqSpec spec = Seq2SeqSpec.of(config.model(), config.seq2seq(), sourceVocabSize, targetVocabSize);
        return WholeModelGraph.build(new Seq2SeqLayer(spec), INPUT, LAYER, WholeModelGraph.Optimizer.of(config.train()),
                config.train().seed(), dataType);
    }

    public static ComputationGraph build(Seq2SeqSpec spec, IUpdater updater, List<Regularization> weightDecay,
                                         double gradClip, long seed, DataType dataType) {
        return WholeModelGraph.build(new Seq2SeqLayer(spec), INPUT, LAYER,
                new WholeModelGraph.Optimizer(updater, weightDecay, gradClip), seed, dataType);
    }

    /** The spec of a graph built here (a checkpoint's model), or an error naming what it is instead. */
    public static Seq2SeqSpec spec(ComputationGraph graph, String origin) {
        if (graph.getConfiguration().getVertices().get(LAYER) == null
                || !(graph.getLayer(LAYER).conf().getLayer() instanceof Seq2SeqLayer layer)) {
            throw new InputException(origin + " does not hold an encoder-decoder (seq2seq) model");
        }
        return layer.spec();
    }
}
