package io.sparkformer.config;

import java.io.Serializable;

/**
 * What only the encoder-decoder (translation) family needs beyond {@code model.*}: vocabularies,
 * embedding sharing, label smoothing and the BLEU measured during training.
 *
 * @param sharedVocabulary one BPE trained on source and target text together (false: one each)
 * @param sharedEmbeddings the encoder reads the decoder's token table (needs a shared vocabulary);
 *                         with {@code model.tiedEmbeddings} that one table is also the output projection
 * @param labelSmoothing   epsilon of label-smoothed cross-entropy in training (0 = plain cross-entropy);
 *                         validation loss and perplexity are always plain cross-entropy
 * @param evalSentences    validation pairs translated greedily at each evaluation for {@code val_bleu}
 *                         (0 = no BLEU during training)
 */
public record Seq2SeqConfig(boolean sharedVocabulary, boolean sharedEmbeddings, double labelSmoothing,
                            int evalSentences) implements Serializable {

    public Seq2SeqConfig {
        ConfigChecks.inRange("seq2seq.labelSmoothing", labelSmoothing, 0.0, 0.5);
        ConfigChecks.nonNegative("seq2seq.evalSentences", evalSentences);
        if (sharedEmbeddings && !sharedVocabulary) {
            throw new ConfigException("seq2seq.sharedEmbeddings = true needs seq2seq.sharedVocabulary = true"
                    + " (one table cannot serve two vocabularies)");
        }
    }
}
