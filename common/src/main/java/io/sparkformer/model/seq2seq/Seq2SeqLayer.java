package io.sparkformer.model.seq2seq;

import io.sparkformer.model.layer.WholeModelLayer;
import io.sparkformer.model.layer.WholeModelLayerImpl;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * DL4J layer bean for a whole encoder-decoder (embeddings, encoder, decoder, head and loss in one
 * output layer; see {@link WholeModelLayer} for why). Input: packed ids [B, 2L] (see
 * {@link PackedPairs}); labels: next target ids [B, L]; output: logits [B, L, V]. Holds the
 * architecture (in the superclass) and what an encoder-decoder adds to it. Checkpoints name this
 * class and its JSON properties, so both stay as they are.
 */
public class Seq2SeqLayer extends WholeModelLayer {
    @JsonProperty private int sourceVocabSize;
    @JsonProperty private int targetVocabSize;
    @JsonProperty private int maxLength;
    @JsonProperty private boolean sharedEmbeddings;
    @JsonProperty private boolean tiedOutput;
    @JsonProperty private double labelSmoothing;

    public Seq2SeqLayer() {
        // for JSON
    }

    public Seq2SeqLayer(Seq2SeqSpec spec) {
        super(spec.arch());
        this.sourceVocabSize = spec.sourceVocabSize();
        this.targetVocabSize = spec.targetVocabSize();
        this.maxLength = spec.maxLength();
        this.sharedEmbeddings = spec.sharedEmbeddings();
        this.tiedOutput = spec.tiedOutput();
        this.labelSmoothing = spec.labelSmoothing();
    }

    public Seq2SeqSpec spec() {
        return new Seq2SeqSpec(sourceVocabSize, targetVocabSize, maxLength, arch(), sharedEmbeddings, tiedOutput,
                labelSmoothing);
    }

    @Override
    protected Object layoutKey() {
        return spec();
    }

    @Override
    protected List<ParamSpec> buildParamSpecs() {
        return new Seq2SeqModel(spec()).params();
    }

    @Override
    protected WholeModelLayerImpl<?, ?> newImpl(NeuralNetConfiguration conf, DataType dataType) {
        return new Seq2SeqLayerImpl(conf, dataType);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.recurrent(targetVocabSize, maxLength);
    }

    public int getTargetVocabSize() {
        return targetVocabSize;
    }

    public int getMaxLength() {
        return maxLength;
    }

    public double getLabelSmoothing() {
        return labelSmoothing;
    }
}
