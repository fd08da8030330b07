package io.sparkformer.config;

import java.io.Serializable;

/**
 * Which tokenizer {@code prepare} fits on the corpus. {@code wordpiece} is never fitted: it is the
 * type of an imported pretrained BERT, whose vocabulary comes with its checkpoint.
 */
public record TokenizerConfig(Type type, int vocabSize) implements Serializable {

    public enum Type { CHAR, BPE, WORDPIECE }

    public TokenizerConfig {
        if (type == Type.BPE && vocabSize < 256) {
            throw new ConfigException("tokenizer.vocabSize must be >= 256 for a byte-level BPE, got " + vocabSize);
        }
    }
}
