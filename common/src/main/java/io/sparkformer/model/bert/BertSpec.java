package io.sparkformer.model.bert;

import io.sparkformer.InputException;
import io.sparkformer.config.ModelConfig;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.layer.TransformerStack;

import java.io.Serializable;

/**
 * Everything that fixes a BERT encoder's shape and function: the shared {@link Architecture} plus
 * the vocabulary size the tokenizer decides and the context. The accessors below the constructor
 * read through to the architecture.
 */
public record BertSpec(int vocabSize, int contextLength, Architecture arch) implements Serializable {

    public BertSpec {
        if (vocabSize < 2) {
            throw new InputException("vocabulary size must be >= 2, got " + vocabSize);
        }
        if (contextLength < 1) {
            throw new IllegalArgumentException("model.contextLength must be > 0, got " + contextLength);
        }
    }

    public static BertSpec of(ModelConfig m, int vocabSize) {
        return new BertSpec(vocabSize, m.contextLength(), m.architecture());
    }

    /** The encoder trunk: bidirectional (not causal), padded keys masked. */
    public TransformerStack encoder() {
        return new TransformerStack(arch, vocabSize, contextLength, false);
    }
}
