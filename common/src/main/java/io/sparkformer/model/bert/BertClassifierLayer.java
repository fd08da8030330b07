package io.sparkformer.model.bert;

import io.sparkformer.config.FinetuneConfig;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * BERT with its sequence-classification head. Input: token ids [B, T] starting with [CLS], with a
 * features mask [B, T] (1 real, 0 padding); labels: class indices [B, 1]; output: class
 * probabilities [B, K] (softmax of the logits the loss uses).
 */
public class BertClassifierLayer extends BertLayer {
    @JsonProperty private int classes;
    /** Absent from checkpoints written before pooling was configurable: they read [CLS]. */
    @JsonProperty private FinetuneConfig.Pooling pooling = FinetuneConfig.Pooling.FIRST;

    public BertClassifierLayer() {
        // for JSON
    }

    public BertClassifierLayer(BertSpec spec, int classes, FinetuneConfig.Pooling pooling) {
        super(spec);
        this.classes = classes;
        this.pooling = pooling;
    }

    public int classes() {
        return classes;
    }

    public FinetuneConfig.Pooling pooling() {
        return pooling;
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
