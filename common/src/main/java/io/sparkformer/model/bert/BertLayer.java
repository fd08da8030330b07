package io.sparkformer.model.bert;

import io.sparkformer.config.ModelConfig;
import io.sparkformer.model.Architecture;
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
 * Fields are serialised by DL4J's JSON mapper through their annotations.
 */
public abstract class BertLayer extends WholeModelLayer {
    @JsonProperty private int vocabSize;
    @JsonProperty private int contextLength;
    @JsonProperty private int embedDim;
    @JsonProperty private int heads;
    @JsonProperty private int layers;
    @JsonProperty private int ffnDim;
    @JsonProperty private boolean sinusoidalPositions;
    @JsonProperty private boolean scaleEmbeddings;
    @JsonProperty private double layerNormEpsilon;
    @JsonProperty private double dropout;
    // Absent from checkpoints written before 2026-12-02, which were all pre-LN, tanh GELU, no token types.
    @JsonProperty private ModelConfig.Norm norm = ModelConfig.Norm.PRE;
    @JsonProperty private ModelConfig.Activation activation = ModelConfig.Activation.GELU_TANH;
    @JsonProperty private int typeVocabSize;

    protected BertLayer() {
        // for JSON
    }

    protected BertLayer(BertSpec spec) {
        vocabSize = spec.vocabSize();
        contextLength = spec.contextLength();
        embedDim = spec.arch().embedDim();
        heads = spec.arch().heads();
        layers = spec.arch().layers();
        ffnDim = spec.arch().ffnDim();
        sinusoidalPositions = spec.arch().sinusoidalPositions();
        scaleEmbeddings = spec.arch().scaleEmbeddings();
        layerNormEpsilon = spec.arch().layerNormEpsilon();
        dropout = spec.arch().dropout();
        norm = spec.arch().norm();
        activation = spec.arch().activation();
        typeVocabSize = spec.arch().typeVocabSize();
    }

    public BertSpec spec() {
        return new BertSpec(vocabSize, contextLength, new Architecture(embedDim, heads, layers, ffnDim,
                sinusoidalPositions, scaleEmbeddings, layerNormEpsilon, dropout, norm, activation, typeVocabSize));
    }

    /** The model this layer runs. */
    public abstract BertModel model();

    /** What {@code output()} returns, from the logits of {@code batch} sequences. */
    abstract INDArray activations(INDArray logits, int batch);

    /** Classes the loss is over (vocabulary or labels). */
    abstract int classCount();

    abstract String modelName();

    @Override
    public List<ParamSpec> paramSpecs() {
        return model().params();
    }

    @Override
    public int blocks() {
        return layers;
    }

    @Override
    protected WholeModelLayerImpl<?, ?> newImpl(NeuralNetConfiguration conf, DataType dataType) {
        return new BertLayerImpl(conf, dataType);
    }
}
