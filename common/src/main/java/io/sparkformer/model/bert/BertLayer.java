package io.sparkformer.model.bert;

import io.sparkformer.model.layer.WholeModelLayer;
import io.sparkformer.model.layer.WholeModelLayerImpl;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * DL4J layer bean for a whole BERT (encoder, head and loss in one layer; see {@link WholeModelLayer}).
 * The two variants differ only in their head: {@link BertMlmLayer} and {@link BertClassifierLayer}.
 * Holds the architecture (in the superclass) and the vocabulary and context; fields are serialised by
 * DL4J's JSON mapper through their annotations.
 */
public abstract class BertLayer extends WholeModelLayer {
    @JsonProperty private int vocabSize;
    @JsonProperty private int contextLength;

    protected BertLayer() {
        // for JSON
    }

    protected BertLayer(BertSpec spec) {
        super(spec.arch());
        vocabSize = spec.vocabSize();
        contextLength = spec.contextLength();
    }

    public BertSpec spec() {
        return new BertSpec(vocabSize, contextLength, arch());
    }

    /** The model this layer runs. */
    public abstract BertModel model();

    /** What {@code output()} returns, from the logits of {@code batch} sequences. */
    abstract INDArray activations(INDArray logits, int batch);

    /** Classes the loss is over (vocabulary or labels). */
    abstract int classCount();

    abstract String modelName();

    @Override
    protected List<ParamSpec> buildParamSpecs() {
        return model().params();
    }

    @Override
    protected WholeModelLayerImpl<?, ?> newImpl(NeuralNetConfiguration conf, DataType dataType) {
        return new BertLayerImpl(conf, dataType);
    }
}
