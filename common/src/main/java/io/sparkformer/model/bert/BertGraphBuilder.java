package io.sparkformer.model.bert;

import io.sparkformer.InputException;
import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.model.layer.WholeModelGraph;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Builds the BERT family as DL4J {@link ComputationGraph}s of one input (token ids) and one
 * {@link BertLayer} (masked-LM or classifier), with the optimiser of {@link WholeModelGraph}; and
 * starts a classifier from a pretrained masked-LM.
 */
public final class BertGraphBuilder {
    public static final String INPUT = WholeModelGraph.INPUT;
    public static final String LAYER = "bert";

    private BertGraphBuilder() {
    }

    public static ComputationGraph maskedLm(SparkformerConfig config, int vocabSize, DataType dataType) {
        return maskedLm(BertSpec.of(config.model(), vocabSize), WholeModelGraph.Optimizer.of(config.train()),
                config.train().seed(), dataType);
    }

    public static ComputationGraph maskedLm(BertSpec spec, WholeModelGraph.Optimizer optimizer, long seed,
                                            DataType dataType) {
        return WholeModelGraph.build(new BertMlmLayer(spec), LAYER, optimizer, seed, dataType);
    }

    public static ComputationGraph classifier(SparkformerConfig config, int vocabSize, int classes,
                                              DataType dataType) {
        return classifier(new BertClassifierLayer(BertSpec.of(config.model(), vocabSize), classes,
                config.finetune().pooling(), config.finetune().headLearningRateFactor()),
                WholeModelGraph.Optimizer.of(config.train()), config.train().seed(), dataType);
    }

    public static ComputationGraph classifier(BertSpec spec, int classes, FinetuneConfig.Pooling pooling,
                                              WholeModelGraph.Optimizer optimizer, long seed, DataType dataType) {
        return classifier(new BertClassifierLayer(spec, classes, pooling), optimizer, seed, dataType);
    }

    public static ComputationGraph classifier(BertClassifierLayer layer, WholeModelGraph.Optimizer optimizer, long seed,
                                              DataType dataType) {
        return WholeModelGraph.build(layer, LAYER, optimizer, seed, dataType);
    }

    /** The BERT layer bean of a graph built here, or an error naming what the graph holds instead. */
    public static <L extends BertLayer> L layer(ComputationGraph graph, Class<L> type, String what) {
        Layer layer = graph.getLayers().length == 1 ? graph.getLayers()[0] : null;
        Object conf = layer == null ? null : layer.conf().getLayer();
        if (!type.isInstance(conf)) {
            throw new InputException(what + " holds a " + (conf == null ? "graph of "
                    + graph.getLayers().length + " layers" : conf.getClass().getSimpleName())
                    + ", not a " + type.getSimpleName());
        }
        return type.cast(conf);
    }

    /**
     * Copies every encoder parameter (embeddings, blocks, final LayerNorm) of a pretrained BERT into
     * {@code target}, whose head keeps its fresh initialisation. Returns how many values were copied.
     */
    public static long copyEncoder(ComputationGraph pretrained, ComputationGraph target) {
        BertSpec from = layer(pretrained, BertLayer.class, "the pretrained checkpoint").spec();
        BertSpec to = layer(target, BertLayer.class, "the target model").spec();
        // Dropout is not part of the weights: fine-tuning chooses its own (an import keeps Hugging Face's 0.1).
        if (!new BertSpec(from.vocabSize(), from.contextLength(), from.arch().withDropout(0))
                .equals(new BertSpec(to.vocabSize(), to.contextLength(), to.arch().withDropout(0)))) {
            throw new InputException("the pretrained encoder " + from + " differs from the target's " + to);
        }
        Layer source = pretrained.getLayer(LAYER);
        Layer destination = target.getLayer(LAYER);
        long copied = 0;
        for (ParamSpec p : BertModel.maskedLm(from).encoderParams()) {
            destination.getParam(p.name()).assign(source.getParam(p.name()));
            copied += source.getParam(p.name()).length();
        }
        return copied;
    }
}
