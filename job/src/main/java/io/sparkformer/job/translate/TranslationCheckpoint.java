package io.sparkformer.job.translate;

import io.sparkformer.InputException;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.decode.Seq2SeqTranslator;
import io.sparkformer.model.FamilyKind;
import io.sparkformer.model.seq2seq.Seq2SeqLayer;
import io.sparkformer.train.TranslationEvaluator;

import java.util.Locale;

/** A checkpoint of the seq2seq family with what {@code translate} and {@code evaluate} need from it. */
public record TranslationCheckpoint(Checkpoint checkpoint, TranslationEvaluator evaluator) {

    /** Whether {@code c} holds an encoder-decoder (so {@code evaluate} reports BLEU). */
    public static boolean holdsTranslator(Checkpoint c) {
        return FamilyKind.SEQ2SEQ.holds(c);
    }

    /** The translator of {@code c}, or an input error naming the checkpoint and what it holds instead. */
    public static TranslationCheckpoint of(Checkpoint c, String uri) {
        if (!holdsTranslator(c)) {
            throw new InputException("checkpoint " + uri + " holds a " + c.config().model().family().name()
                    .toLowerCase(Locale.ROOT) + " model, not a translation (seq2seq) model");
        }
        return new TranslationCheckpoint(c, new TranslationEvaluator(c.model(), c.sourceTokenizer(), c.tokenizer()));
    }

    /** The model's maximum tokens per side (its {@code model.contextLength}). */
    public int maxLength() {
        return ((Seq2SeqLayer) checkpoint.model().getLayers()[0].conf().getLayer()).getMaxLength();
    }

    /** Decoding options; {@code maxTokens} 0 means the model's maximum length. */
    public Seq2SeqTranslator.Options options(int beam, double lengthPenalty, int maxTokens, int batchSentences) {
        return new Seq2SeqTranslator.Options(beam, lengthPenalty, maxTokens == 0 ? maxLength() : maxTokens,
                batchSentences);
    }
}
