package io.sparkformer.model.gpt;

import io.sparkformer.model.layer.WholeModelLayerImpl;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * The GPT as a DL4J output layer: forward and backward come from {@link GptModel}; the DL4J glue
 * (masks, labels, score, gradient views) is {@link WholeModelLayerImpl}'s. Labels are next-token ids
 * [B, T]; the output is logits [B, T, V].
 */
public class GptLayerImpl extends WholeModelLayerImpl<GptLayer, GptModel.Pass> {
    private transient GptModel model;

    public GptLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private GptModel model() {
        if (model == null) {
            model = new GptModel(layerConf().spec());
        }
        return model;
    }

    @Override
    protected GptModel.Pass forward(Map<String, INDArray> params, int[] ids, int batch, INDArray padding,
                                    int[] selected, boolean training) {
        return model().forward(params, ids, batch, padding, training);
    }

    @Override
    protected INDArray logits(GptModel.Pass pass) {
        return pass.logits;
    }

    @Override
    protected void backward(Map<String, INDArray> params, Map<String, INDArray> gradients, GptModel.Pass pass,
                            INDArray dLogits) {
        model().backward(params, gradients, pass, dLogits);
    }

    @Override
    protected INDArray activations(GptModel.Pass pass, int batch) {
        return pass.logits.reshape('c', batch, pass.logits.size(0) / batch, pass.logits.size(1));   // [B, T, V]
    }

    @Override
    protected String modelName() {
        return "GPT";
    }

    @Override
    public int numLabels() {
        return layerConf().getVocabSize();
    }
}
