package io.sparkformer.model.gpt;

import io.sparkformer.config.ModelConfig;

import java.io.Serializable;

/**
 * Everything that fixes the shape and function of a GPT: the model config plus the vocabulary size
 * that the tokenizer decides. Held by the DL4J layer bean, so it is plain and serialisable.
 */
public record GptSpec(int vocabSize, int contextLength, int embedDim, int heads, int layers, int ffnDim,
                      boolean sinusoidalPositions, boolean tiedEmbeddings, boolean scaleEmbeddings,
                      double layerNormEpsilon, double dropout) implements Serializable {

    public GptSpec {
        if (vocabSize < 2) {
            throw new IllegalArgumentException("vocabulary size must be >= 2, got " + vocabSize);
        }
        if (embedDim % heads != 0) {
            throw new IllegalArgumentException("embedding size (" + embedDim + ") is not divisible by head count ("
                    + heads + ")");
        }
    }

    public static GptSpec of(ModelConfig m, int vocabSize) {
        return new GptSpec(vocabSize, m.contextLength(), m.embedDim(), m.heads(), m.layers(), m.ffnDim(),
                m.positions() == ModelConfig.Positions.SINUSOIDAL, m.tiedEmbeddings(), m.scaleEmbeddings(),
                m.layerNormEpsilon(), m.dropout());
    }
}
