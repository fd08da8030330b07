package io.sparkformer.model.gpt;

import io.sparkformer.model.Architecture;
import io.sparkformer.model.layer.WholeModelLayer;
import io.sparkformer.model.layer.WholeModelLayerImpl;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.List;

/**
 * DL4J layer bean for a whole GPT (embeddings, blocks, head and loss in one layer; see
 * {@link WholeModelLayer} for why). Input: token ids [B, T]; labels: next-token ids [B, T]; output:
 * logits [B, T, V].
 */
public class GptLayer extends WholeModelLayer {
    private int vocabSize;
    private int contextLength;
    private int embedDim;
    private int heads;
    private int layers;
    private int ffnDim;
    private boolean sinusoidalPositions;
    private boolean tiedEmbeddings;
    private boolean scaleEmbeddings;
    private double layerNormEpsilon;
    private double dropout;

    public GptLayer() {
        // for JSON
    }

    public GptLayer(GptSpec spec) {
        this.vocabSize = spec.vocabSize();
        this.contextLength = spec.contextLength();
        this.embedDim = spec.arch().embedDim();
        this.heads = spec.arch().heads();
        this.layers = spec.arch().layers();
        this.ffnDim = spec.arch().ffnDim();
        this.sinusoidalPositions = spec.arch().sinusoidalPositions();
        this.tiedEmbeddings = spec.tiedEmbeddings();
        this.scaleEmbeddings = spec.arch().scaleEmbeddings();
        this.layerNormEpsilon = spec.arch().layerNormEpsilon();
        this.dropout = spec.arch().dropout();
    }

    public GptSpec spec() {
        return new GptSpec(vocabSize, contextLength, Architecture.preNorm(embedDim, heads, layers, ffnDim,
                sinusoidalPositions, scaleEmbeddings, layerNormEpsilon, dropout), tiedEmbeddings);
    }

    @Override
    public List<ParamSpec> paramSpecs() {
        return new GptModel(spec()).params();
    }

    @Override
    public int blocks() {
        return layers;
    }

    @Override
    protected WholeModelLayerImpl<?, ?> newImpl(NeuralNetConfiguration conf, DataType dataType) {
        return new GptLayerImpl(conf, dataType);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.recurrent(vocabSize, contextLength);
    }

    public int getVocabSize() { return vocabSize; }
    public void setVocabSize(int v) { vocabSize = v; }
    public int getContextLength() { return contextLength; }
    public void setContextLength(int v) { contextLength = v; }
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
    public boolean isTiedEmbeddings() { return tiedEmbeddings; }
    public void setTiedEmbeddings(boolean v) { tiedEmbeddings = v; }
    public boolean isScaleEmbeddings() { return scaleEmbeddings; }
    public void setScaleEmbeddings(boolean v) { scaleEmbeddings = v; }
    public double getLayerNormEpsilon() { return layerNormEpsilon; }
    public void setLayerNormEpsilon(double v) { layerNormEpsilon = v; }
    public double getDropout() { return dropout; }
    public void setDropout(double v) { dropout = v; }
}
