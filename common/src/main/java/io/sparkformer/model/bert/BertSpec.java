package io.sparkformer.model.bert;

import io.sparkformer.config.ModelConfig;
import io.sparkformer.model.layer.TransformerStack;

import java.io.Serializable;

/**
 * Everything that fixes a BERT encoder's shape and function: the model config plus the vocabulary
 * size the tokenizer decides. Plain and serialisable, as the DL4J layer beans hold it.
 */
public record BertSpec(int vocabSize, int contextLength, int embedDim, int heads, int layers, int ffnDim,
                       boolean sinusoidalPositions, boolean scaleEmbeddings, double layerNormEpsilon,
                       double dropout) implements Serializable {

    public BertSpec {
        if (vocabSize < 2) {
            throw new IllegalArgumentException("vocabulary size must be >= 2, got " + vocabSize);
        }
        if (embedDim % heads != 0) {
            throw new IllegalArgumentException("embedding size (" + embedDim + ") is not divisible by head count ("
                    + heads + ")");
        }
    }

    public static BertSpec of(ModelConfig m, int vocabSize) {
        return new BertSpec(vocabSize, m.contextLength(), m.embedDim(), m.heads(), m.layers(), m.ffnDim(),
                m.positions() == ModelConfig.Positions.SINUSOIDAL, m.scaleEmbeddings(), m.layerNormEpsilon(),
                m.dropout());
    }

    /** The encoder trunk: bidirectional (not causal), padded keys masked. */
    TransformerStack.Shape encoderShape() {
        return new TransformerStack.Shape(vocabSize, contextLength, embedDim, heads, layers, ffnDim,
                sinusoidalPositions, scaleEmbeddings, layerNormEpsilon, dropout, false);
    }
}
