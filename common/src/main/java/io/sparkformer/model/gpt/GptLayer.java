package io.sparkformer.model.gpt;

import io.sparkformer.model.layer.WholeModelLayer;
import io.sparkformer.model.layer.WholeModelLayerImpl;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * DL4J layer bean for a whole GPT (embeddings, blocks, head and loss in one layer; see
 * {@link WholeModelLayer} for why). Input: token ids [B, T]; labels: next-token ids [B, T]; output:
 * logits [B, T, V]. Holds the architecture (in the superclass) and what a GPT adds to it.
 */
public class GptLayer extends WholeModelLayer {
    @JsonProperty private int vocabSize;
    @JsonProperty private int contextLength;
    @JsonProperty private boolean tiedEmbeddings;

    public GptLayer() {
        // for JSON
    }

    public GptLayer(GptSpec spec) {
        super(spec.arch());
        this.vocabSize = spec.vocabSize();
        this.contextLength = spec.contextLength();
        this.tiedEmbeddings = spec.tiedEmbeddings();
    }

    public GptSpec spec() {
        return new GptSpec(vocabSize, contextLength, arch(), tiedEmbeddings);
    }

    @Override
    protected Object layoutKey() {
        return spec();
    }

    @Override
    protected List<ParamSpec> buildParamSpecs() {
        return new GptModel(spec()).params();
    }

    @Override
    protected WholeModelLayerImpl<?, ?> newImpl(NeuralNetConfiguration conf, DataType dataType) {
        return new GptLayerImpl(conf, dataType);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.recurrent(vocabSize, contextLength);
    }

    public int getVocabSize() {
        return vocabSize;
    }
}
