package io.sparkformer.model.gpt;

import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collection;
import java.util.Map;

/**
 * DL4J layer bean for a whole GPT (embeddings, blocks, head and loss in one layer): DL4J cannot
 * share a parameter between layers, and tied input/output embeddings need exactly that. A bean
 * (no-arg constructor, getters/setters) because DL4J serialises configurations as JSON for
 * checkpoints and for Spark. Input: token ids [B, T]; labels: next-token ids [B, T]; output:
 * logits [B, T, V].
 */
public class GptLayer extends BaseLayer {
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
        this.embedDim = spec.embedDim();
        this.heads = spec.heads();
        this.layers = spec.layers();
        this.ffnDim = spec.ffnDim();
        this.sinusoidalPositions = spec.sinusoidalPositions();
        this.tiedEmbeddings = spec.tiedEmbeddings();
        this.scaleEmbeddings = spec.scaleEmbeddings();
        this.layerNormEpsilon = spec.layerNormEpsilon();
        this.dropout = spec.dropout();
    }

    public GptSpec spec() {
        return new GptSpec(vocabSize, contextLength, embedDim, heads, layers, ffnDim, sinusoidalPositions,
                tiedEmbeddings, scaleEmbeddings, layerNormEpsilon, dropout);
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
                                                       Collection<TrainingListener> listeners, int layerIndex,
                                                       INDArray layerParamsView, boolean initializeParams,
                                                       DataType networkDataType) {
        GptLayerImpl layer = new GptLayerImpl(conf, networkDataType);
        layer.setListeners(listeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> params = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(params);
        layer.setConf(conf);
        return layer;
    }

    @Override
    public ParamInitializer initializer() {
        return GptParamInitializer.INSTANCE;
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.recurrent(vocabSize, contextLength);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        // The input is token ids; nothing to infer.
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }

    @Override
    public boolean isPretrainParam(String paramName) {
        return false;
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        long params = GptParamInitializer.INSTANCE.numParams(this);
        return new LayerMemoryReport.Builder(layerName, GptLayer.class, inputType, getOutputType(0, inputType))
                .standardMemory(params, 2 * params)
                .workingMemory(0, 0, 0, 0)
                .cacheMemory(0, 0)
                .build();
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
