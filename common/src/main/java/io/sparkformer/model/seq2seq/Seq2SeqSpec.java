package io.sparkformer.model.seq2seq;

import io.sparkformer.InputException;
import io.sparkformer.config.ModelConfig;
import io.sparkformer.config.Seq2SeqConfig;
import io.sparkformer.model.Architecture;

import java.io.Serializable;

/**
 * Everything that fixes the shape and function of an encoder-decoder Transformer: the model and
 * seq2seq configs plus the vocabulary sizes the tokenizers decide. Held by the DL4J layer bean, so
 * it is plain and serialisable.
 *
 * @param maxLength        tokens per side at most: source {@code ids </s>}, decoder input {@code <s> ids}
 * @param arch             the trunk; {@code arch.layers()} encoder blocks, and as many decoder blocks
 * @param sharedEmbeddings the encoder reads the decoder's token table (equal vocabularies)
 * @param tiedOutput       the output projection is the decoder's token table transposed
 * @param labelSmoothing   epsilon of the training loss (evaluation is always plain cross-entropy)
 */
public record Seq2SeqSpec(int sourceVocabSize, int targetVocabSize, int maxLength, Architecture arch,
                          boolean sharedEmbeddings, boolean tiedOutput, double labelSmoothing) implements Serializable {

    public Seq2SeqSpec {
        if (sourceVocabSize < 2 || targetVocabSize < 2) {
            throw new InputException("vocabulary sizes must be >= 2, got " + sourceVocabSize + " and "
                    + targetVocabSize);
        }
        arch.requireGpt2Style("seq2seq");
        if (sharedEmbeddings && sourceVocabSize != targetVocabSize) {
            throw new IllegalArgumentException("shared embeddings need one vocabulary, got source " + sourceVocabSize
                    + " and target " + targetVocabSize + " tokens");
        }
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be >= 2 (one token plus <s> or </s>), got " + maxLength);
        }
    }

    public static Seq2SeqSpec of(ModelConfig m, Seq2SeqConfig s, int sourceVocabSize, int targetVocabSize) {
        return new Seq2SeqSpec(sourceVocabSize, targetVocabSize, m.contextLength(), m.architecture(),
                s.sharedEmbeddings(), m.tiedEmbeddings(), s.labelSmoothing());
    }
}
