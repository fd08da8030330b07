package io.sparkformer.model.seq2seq;

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
 * DL4J layer bean for a whole encoder-decoder (embeddings, encoder, decoder, head and loss in one
 * output layer): DL4J cannot share a parameter between layers, and shared/tied embeddings need
 * exactly that. A bean (no-arg constructor, getters/setters) because DL4J serialises configurations
 * as JSON for checkpoints and for Spark. Input: packed ids [B, 2L] (see {@link PackedPairs});
 * labels: next target ids [B, L]; output: logits [B, L, V].
 */
public class Seq2SeqLayer extends BaseLayer {
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
        this.embedDim = spec.embedDim();
        this.heads = spec.heads();
        this.layers = spec.layers();
        this.ffnDim = spec.ffnDim();
        this.sinusoidalPositions = spec.sinusoidalPositions();
        this.sharedEmbeddings = spec.sharedEmbeddings();
        this.tiedOutput = spec.tiedOutput();
        this.scaleEmbeddings = spec.scaleEmbeddings();
        this.layerNormEpsilon = spec.layerNormEpsilon();
        this.dropout = spec.dropout();
        this.labelSmoothing = spec.labelSmoothing();
    }

    public Seq2SeqSpec spec() {
        return new Seq2SeqSpec(sourceVocabSize, targetVocabSize, maxLength, embedDim, heads, layers, ffnDim,
                sinusoidalPositions, sharedEmbeddings, tiedOutput, scaleEmbeddings, layerNormEpsilon, dropout,
                labelSmoothing);
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
                                                       Collection<TrainingListener> listeners, int layerIndex,
                                                       INDArray layerParamsView, boolean initializeParams,
                                                       DataType networkDataType) {
        Seq2SeqLayerImpl layer = new Seq2SeqLayerImpl(conf, networkDataType);
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
        return Seq2SeqParamInitializer.INSTANCE;
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.recurrent(targetVocabSize, maxLength);
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
        long params = Seq2SeqParamInitializer.INSTANCE.numParams(this);
        return new LayerMemoryReport.Builder(layerName, Seq2SeqLayer.class, inputType, getOutputType(0, inputType))
                .standardMemory(params, 2 * params)
                .workingMemory(0, 0, 0, 0)
                .cacheMemory(0, 0)
                .build();
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
