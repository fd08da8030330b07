package io.sparkformer.api;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.decode.Seq2SeqTranslator;
import io.sparkformer.model.seq2seq.Seq2SeqLayer;
import io.sparkformer.train.TranslationEvaluator;

import java.util.List;

/** Translates sentences with an encoder-decoder checkpoint: greedy or beam search, in batches. */
public final class Translation {
    /** Beam 1 (greedy), GNMT length penalty 0.6 for beams, sentences decoded 32 at a time: {@code translate}'s defaults. */
    public static final int DEFAULT_BATCH = 32;
    public static final double DEFAULT_LENGTH_PENALTY = 0.6;
    private final TranslationEvaluator evaluator;
    private final int maxLength;

    Translation(Checkpoint checkpoint, String uri) {
        Seq2SeqLayer layer = Pipelines.layer(checkpoint, Seq2SeqLayer.class, uri);
        this.evaluator = new TranslationEvaluator(checkpoint.model(), checkpoint.sourceTokenizer(),
                checkpoint.tokenizer());
        this.maxLength = layer.getMaxLength();
    }

    /** The model's maximum tokens per side. */
    public int maxLength() {
        return maxLength;
    }

    /** Greedy translations, one per sentence, in order. */
    public List<String> translate(List<String> sentences) {
        return translate(sentences, 1, DEFAULT_LENGTH_PENALTY, 0, DEFAULT_BATCH);
    }

    public String translate(String sentence) {
        return translate(List.of(sentence)).get(0);
    }

    /** Translations with {@code beams} beams; {@code maxTokens} 0 means the model's maximum length. */
    public List<String> translate(List<String> sentences, int beams, double lengthPenalty, int maxTokens,
                                  int batchSentences) {
        return evaluator.translate(sentences, new Seq2SeqTranslator.Options(beams, lengthPenalty,
                maxTokens == 0 ? maxLength : maxTokens, batchSentences));
    }
}
