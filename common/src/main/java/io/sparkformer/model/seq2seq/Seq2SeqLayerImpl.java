package io.sparkformer.model.seq2seq;

import io.sparkformer.model.layer.WholeModelLayerImpl;
import io.sparkformer.model.nn.LabelSmoothedCrossEntropy;
import io.sparkformer.model.nn.SparseCrossEntropy;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * The encoder-decoder as a DL4J output layer: forward and backward come from {@link Seq2SeqModel};
 * the DL4J glue (masks, labels, score, gradient views) is {@link WholeModelLayerImpl}'s. What is
 * seq2seq's own: the packed input and padding mask [B, 2L] are split into source and target by
 * {@link PackedPairs}, and the training loss is label-smoothed cross-entropy (the spec's epsilon);
 * outside training (validation, {@code evaluate}) it is plain cross-entropy, so that perplexity
 * means what it says. Labels are next target ids [B, L]; the output is logits [B, L, V].
 */
public class Seq2SeqLayerImpl extends WholeModelLayerImpl<Seq2SeqLayer, Seq2SeqModel.Pass> {
    private transient Seq2SeqModel model;

    public Seq2SeqLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private Seq2SeqModel model() {
        if (model == null) {
            model = new Seq2SeqModel(layerConf().spec());
        }
        return model;
    }

    @Override
    protected Seq2SeqModel.Pass forward(Map<String, INDArray> params, int[] ids, int batch, INDArray padding,
                                        int[] selected, boolean training) {
        INDArray sourcePadding = padding == null ? null : PackedPairs.source(padding);
        INDArray targetPadding = padding == null ? null : PackedPairs.target(padding);
        return model().forward(params, PackedPairs.sourceIds(ids, batch), PackedPairs.targetIds(ids, batch), batch,
                sourcePadding, targetPadding, training);
    }

    @Override
    protected SparseCrossEntropy.Result loss(INDArray logits, int[] targets, double[] weights, boolean training) {
        INDArray labels = getLabels();
        if (labels.size(1) * 2 != input.size(1)) {
            throw new IllegalArgumentException("seq2seq labels [B, L] must be half as wide as the packed input"
                    + " [B, 2L]: got " + labels.size(1) + " and " + input.size(1));
        }
        double smoothing = training ? layerConf().getLabelSmoothing() : 0.0;
        return LabelSmoothedCrossEntropy.compute(logits, targets, weights, smoothing, training);
    }

    @Override
    protected INDArray logits(Seq2SeqModel.Pass pass) {
        return pass.logits;
    }

    @Override
    protected void backward(Map<String, INDArray> params, Map<String, INDArray> gradients, Seq2SeqModel.Pass pass,
                            INDArray dLogits) {
        model().backward(params, gradients, pass, dLogits);
    }

    @Override
    protected INDArray activations(Seq2SeqModel.Pass pass, int batch) {
        return pass.logits.reshape('c', batch, pass.logits.size(0) / batch, pass.logits.size(1));   // [B, L, V]
    }

    @Override
    protected String modelName() {
        return "seq2seq";
    }

    @Override
    public int numLabels() {
        return layerConf().getTargetVocabSize();
    }
}
