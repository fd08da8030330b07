package io.sparkformer.model.bert;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * BERT with its masked-LM head. Input: token ids [B, T] (some replaced by [MASK]); labels: the
 * original ids [B, T] with a labels mask that is 1 only at the positions selected for prediction;
 * output: logits [B, T, V].
 */
public class BertMlmLayer extends BertLayer {

    public BertMlmLayer() {
        // for JSON
    }

    public BertMlmLayer(BertSpec spec) {
        super(spec);
    }

    @Override
    protected Object layoutKey() {
        return spec();
    }

    @Override
    public BertModel model() {
        return BertModel.maskedLm(spec());
    }

    @Override
    INDArray activations(INDArray logits, int batch) {
        return logits.reshape('c', batch, logits.size(0) / batch, logits.size(1));   // [B, T, V]
    }

    @Override
    int classCount() {
        return spec().vocabSize();
    }

    @Override
    String modelName() {
        return "BERT masked-LM";
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.recurrent(spec().vocabSize(), spec().contextLength());
    }
}
