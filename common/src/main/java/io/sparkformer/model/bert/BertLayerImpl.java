package io.sparkformer.model.bert;

import io.sparkformer.model.layer.WholeModelLayerImpl;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/** Runs a {@link BertLayer}'s {@link BertModel} as a DL4J output layer (glue in {@link WholeModelLayerImpl}). */
public class BertLayerImpl extends WholeModelLayerImpl<BertLayer, BertModel.Pass> {
    private transient BertModel model;

    public BertLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private BertModel model() {
        if (model == null) {
            model = layerConf().model();
        }
        return model;
    }

    @Override
    protected BertModel.Pass forward(Map<String, INDArray> params, int[] ids, int batch, INDArray padding,
                                     int[] selected, boolean training) {
        // Without a selected row there is nothing to score; a full pass gives the (zero) loss its shape.
        int[] rows = selected == null || selected.length == 0 ? null : selected;
        int width = ids.length / batch;
        if (layerConf().spec().arch().typeVocabSize() > 0 && padding != null && width == 2 * padding.size(1)) {
            int[][] split = BertInputs.unpack(ids, batch);
            return model().forward(params, split[0], split[1], batch, padding, rows, training);
        }
        return model().forward(params, ids, batch, padding, rows, training);
    }

    @Override
    protected int[] scoredRows(BertModel.Pass pass) {
        return pass.rows();
    }

    @Override
    protected INDArray logits(BertModel.Pass pass) {
        return pass.logits();
    }

    @Override
    protected void backward(Map<String, INDArray> params, Map<String, INDArray> gradients, BertModel.Pass pass,
                            INDArray dLogits) {
        model().backward(params, gradients, pass, dLogits);
    }

    @Override
    protected INDArray activations(BertModel.Pass pass, int batch) {
        return layerConf().activations(pass.logits(), batch);
    }

    @Override
    protected String modelName() {
        return layerConf().modelName();
    }

    @Override
    public int numLabels() {
        return layerConf().classCount();
    }
}
