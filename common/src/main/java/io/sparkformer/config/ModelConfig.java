package io.sparkformer.config;

import java.io.Serializable;

/**
 * Architecture of a Transformer. The vocabulary size is not here: it comes from the tokenizer,
 * so it is passed next to this record wherever a model is built.
 */
public record ModelConfig(
        ModelFamily family,
        int layers,
        int heads,
        int embedDim,
        int ffnDim,
        int contextLength,
        double dropout,
        Positions positions,
        boolean tiedEmbeddings,
        boolean scaleEmbeddings,
        double layerNormEpsilon) implements Serializable {

    public enum ModelFamily { GPT, BERT, SEQ2SEQ }

    public enum Positions { LEARNED, SINUSOIDAL }

    public ModelConfig {
        ConfigChecks.positive("model.layers", layers);
        ConfigChecks.positive("model.heads", heads);
        ConfigChecks.positive("model.embedDim", embedDim);
        ConfigChecks.positive("model.contextLength", contextLength);
        if (embedDim % heads != 0) {
            throw new ConfigException("model.embedDim (" + embedDim + ") is not divisible by model.heads (" + heads + ")");
        }
        if (ffnDim < 0) {
            throw new ConfigException("model.ffnDim must be >= 0 (0 = 4 x embedDim), got " + ffnDim);
        }
        if (ffnDim == 0) {
            ffnDim = 4 * embedDim;
        }
        ConfigChecks.inRange("model.dropout", dropout, 0.0, 0.95);
        ConfigChecks.inRange("model.layerNormEpsilon", layerNormEpsilon, 1e-12, 1e-2);
    }

    /** The same architecture with another dropout (a training setting that changes no parameter). */
    public ModelConfig withDropout(double other) {
        return new ModelConfig(family, layers, heads, embedDim, ffnDim, contextLength, other, positions, tiedEmbeddings,
                scaleEmbeddings, layerNormEpsilon);
    }

    /** Width of one attention head. */
    public int headDim() {
        return embedDim / heads;
    }
}
