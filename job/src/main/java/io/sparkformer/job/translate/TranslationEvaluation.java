package io.sparkformer.job.translate;

import io.sparkformer.UserPaths;
import io.sparkformer.data.ParallelCorpus;
import io.sparkformer.decode.Seq2SeqTranslator;
import io.sparkformer.metrics.Bleu;
import io.sparkformer.train.TranslationEvaluator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * {@code evaluate} of a translation model: translations of a parallel corpus, their corpus BLEU
 * against the references (13a, sacreBLEU-compatible), and the references' loss and perplexity under
 * teacher forcing, as one JSON object.
 */
public final class TranslationEvaluation {
    private TranslationEvaluation() {
    }

    /**
     * @param hypothesesOut where to write the translations (one per line), or null
     * @return the JSON line {@code evaluate} prints
     */
    public static String run(TranslationCheckpoint model, ParallelCorpus corpus, Seq2SeqTranslator.Options options,
                             int batchSize, String hypothesesOut, Configuration conf) {
        long start = System.nanoTime();
        TranslationEvaluator.Result r = model.evaluator().evaluate(corpus, options, batchSize);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (hypothesesOut != null) {
            Path path = UserPaths.of(hypothesesOut, "--hypotheses");
            try (var out = path.getFileSystem(conf).create(path, true)) {
                out.write((String.join("\n", r.hypotheses()) + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + hypothesesOut + ": " + e.getMessage(), e);
            }
        }
        return String.format(Locale.ROOT, "{\"bleu\":%.4f,\"bleu_signature\":\"%s\",\"bleu_detail\":\"%s\","
                        + "\"loss\":%.6f,\"perplexity\":%.6f,\"tokens\":%d,\"sentences\":%d,\"skipped_for_loss\":%d,\"beam\":%d,\"length_penalty\":%s,"
                        + "\"decode_seconds\":%.1f}",
                r.bleu().score(), Bleu.Options.DEFAULT_SIGNATURE, r.bleu(), r.loss(), r.perplexity(), r.lossTokens(),
                corpus.size(), r.skipped(), options.beamSize(), options.lengthPenalty(), seconds);
    }
}
