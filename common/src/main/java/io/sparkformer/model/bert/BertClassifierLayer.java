package io.sparkformer.model.bert;

import io.sparkformer.config.FinetuneConfig;
import org.deeplearning4j.nn.conf.inputs.InputType;
import io.sparkformer.model.optim.ScaledLearningRate;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Arrays;

/**
 * BERT with its sequence-classification head. Input: token ids [B, T] starting with [CLS], with a
 * features mask [B, T] (1 real, 0 padding); labels: class indices [B, 1]; output: class
 * probabilities [B, K] (softmax of the logits the loss uses).
 */
public class BertClassifierLayer extends BertLayer {
    @JsonProperty private int classes;
    /** Absent from checkpoints written before pooling was configurable: they read [CLS]. */
    @JsonProperty private FinetuneConfig.Pooling pooling = FinetuneConfig.Pooling.FIRST;
    /** Absent from checkpoints written before it existed: one learning rate for all. */
    @JsonProperty private double headLearningRateFactor = 1.0;

    public BertClassifierLayer() {
        // for JSON
    }

    public BertClassifierLayer(BertSpec spec, int classes, FinetuneConfig.Pooling pooling) {
        this(spec, classes, pooling, 1.0);
    }

    /** @param headLearningRateFactor the head's learning rate over the encoder's (the layer's updater's) */
    public BertClassifierLayer(BertSpec spec, int classes, FinetuneConfig.Pooling pooling,
                               double headLearningRateFactor) {
        super(spec);
        this.classes = classes;
        this.pooling = pooling;
        this.headLearningRateFactor = headLearningRateFactor;
    }

    public double headLearningRateFactor() {
        return headLearningRateFactor;
    }

    /**
     * The head's parameters get the updater at {@code headLearningRateFactor} times the encoder's
     * learning rate: DL4J then updates them as a block of their own (same Adam, same schedule shape).
     */
    @Override
    public IUpdater getUpdaterByParam(String paramName) {
        IUpdater updater = super.getUpdaterByParam(paramName);
        if (headLearningRateFactor == 1.0 || model().headParams().stream().noneMatch(p -> p.name().equals(paramName))) {
            return updater;
        }
        return ScaledLearningRate.of(updater, headLearningRateFactor);
    }

    public int classes() {
        return classes;
    }

    public FinetuneConfig.Pooling pooling() {
        return pooling;
    }

    @Override
    protected Object layoutKey() {
        return Arrays.asList(spec(), classes, pooling);
    }

    @Override
    public BertModel model() {
        return BertModel.classifier(spec(), classes, pooling);
    }

    @Override
    INDArray activations(INDArray logits, int batch) {
        return Transforms.softmax(logits, true);                                       // [B, K]
    }

    @Override
    int classCount() {
        return classes;
    }

    @Override
    String modelName() {
        return "BERT classifier";
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.feedForward(classes);
    }
}
