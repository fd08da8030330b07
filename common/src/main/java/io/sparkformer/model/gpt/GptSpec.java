package io.sparkformer.model.gpt;

import io.sparkformer.InputException;
import io.sparkformer.config.ModelConfig;
import io.sparkformer.model.Architecture;

import java.io.Serializable;

/**
 * Everything that fixes the shape and function of a GPT: the shared {@link Architecture} plus what a
 * GPT adds (the vocabulary size the tokenizer decides, the context, tied input/output embeddings).
 * The accessors below the constructor read through to the architecture, so callers need not know
 * which part holds a value.
 */
public record GptSpec(int vocabSize, int contextLength, Architecture arch, boolean tiedEmbeddings)
        implements Serializable {

    public GptSpec {
        if (vocabSize < 2) {
            throw new InputException("vocabulary size must be >= 2, got " + vocabSize);
        }
        if (contextLength < 1) {
            throw new IllegalArgumentException("model.contextLength must be > 0, got " + contextLength);
        }
        arch.requireGpt2Style("gpt");
    }

    public static GptSpec of(ModelConfig m, int vocabSize) {
        return new GptSpec(vocabSize, m.contextLength(), m.architecture(), m.tiedEmbeddings());
    }
}
