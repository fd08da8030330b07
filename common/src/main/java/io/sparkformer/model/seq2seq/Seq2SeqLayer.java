package io.sparkformer.model.seq2seq;

import io.sparkformer.model.Architecture;
import io.sparkformer.model.layer.WholeModelLayer;
import io.sparkformer.model.layer.WholeModelLayerImpl;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.List;

/**
 * DL4J layer bean for a whole encoder-decoder (embeddings, encoder, decoder, head and loss in one
 * output layer; see {@link WholeModelLayer} for why). Input: packed ids [B, 2L] (see
 * {@link PackedPairs}); labels: next target ids [B, L]; output: logits [B, L, V]. Checkpoints name
 * this class and its bean properties, so both stay as they are.
 */
public class Seq2SeqLayer extends WholeModelLayer {
    private int sourceVocabSize;
    private int targetVocabSize;
    private int maxLength;
    private int embedDim;
    private int heads;
    private int layers;
    private int ffnDim;
    private boolean sinusoidalPositions;
    private boolean sharedEmbeddings;
    private boolean tiedOutput;
    private boolean scaleEmbeddings;
    private double layerNormEpsilon;
    private double dropout;
    private double labelSmoothing;

    public Seq2SeqLayer() {
        // for JSON
    }

    public Seq2SeqLayer(Seq2SeqSpec spec) {
        this.sourceVocabSize = spec.sourceVocabSize();
        this.targetVocabSize = spec.targetVocabSize();
        this.maxLength = spec.maxLength();
        this.embedDim = spec.arch().embedDim();
        this.heads = spec.arch().heads();
        this.layers = spec.arch().layers();
        this.ffnDim = spec.arch().ffnDim();
        this.sinusoidalPositions = spec.arch().sinusoidalPositions();
        this.sharedEmbeddings = spec.sharedEmbeddings();
        this.tiedOutput = spec.tiedOutput();
        this.scaleEmbeddings = spec.arch().scaleEmbeddings();
        this.layerNormEpsilon = spec.arch().layerNormEpsilon();
        this.dropout = spec.arch().dropout();
        this.labelSmoothing = spec.labelSmoothing();
    }

    public Seq2SeqSpec spec() {
        return new Seq2SeqSpec(sourceVocabSize, targetVocabSize, maxLength, Architecture.preNorm(embedDim, heads,
                layers, ffnDim, sinusoidalPositions, scaleEmbeddings, layerNormEpsilon, dropout), sharedEmbeddings,
                tiedOutput, labelSmoothing);
    }

    @Override
    public List<ParamSpec> paramSpecs() {
        return new Seq2SeqModel(spec()).params();
    }

    /** Blocks per stack (encoder and decoder alike): residual projections start at 0.02/sqrt(2 * layers). */
    @Override
    public int blocks() {
        return layers;
    }

    @Override
    protected WholeModelLayerImpl<?, ?> newImpl(NeuralNetConfiguration conf, DataType dataType) {
        return new Seq2SeqLayerImpl(conf, dataType);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.recurrent(targetVocabSize, maxLength);
    }

    public int getSourceVocabSize() { return sourceVocabSize; }
    public void setSourceVocabSize(int v) { sourceVocabSize = v; }
    public int getTargetVocabSize() { return targetVocabSize; }
    public void setTargetVocabSize(int v) { targetVocabSize = v; }
    public int getMaxLength() { return maxLength; }
    public void setMaxLength(int v) { maxLength = v; }
    public int getEmbedDim() { return embedDim; }
    public void setEmbedDim(int v) { embedDim = v; }
    public int getHeads() { return heads; }
    public void setHeads(int v) { heads = v; }
    public int getLayers() { return layers; }
    public void setLayers(int v) { layers = v; }
    public int getFfnDim() { return ffnDim; }
    public void setFfnDim(int v) { ffnDim = v; }
    public boolean isSinusoidalPositions() { return sinusoidalPositions; }
    public void setSinusoidalPositions(boolean v) { sinusoidalPositions = v; }
    public boolean isSharedEmbeddings() { return sharedEmbeddings; }
    public void setSharedEmbeddings(boolean v) { sharedEmbeddings = v; }
    public boolean isTiedOutput() { return tiedOutput; }
    public void setTiedOutput(boolean v) { tiedOutput = v; }
    public boolean isScaleEmbeddings() { return scaleEmbeddings; }
    public void setScaleEmbeddings(boolean v) { scaleEmbeddings = v; }
    public double getLayerNormEpsilon() { return layerNormEpsilon; }
    public void setLayerNormEpsilon(double v) { layerNormEpsilon = v; }
    public double getDropout() { return dropout; }
    public void setDropout(double v) { dropout = v; }
    public double getLabelSmoothing() { return labelSmoothing; }
    public void setLabelSmoothing(double v) { labelSmoothing = v; }
}
