package io.sparkformer.train;

import io.sparkformer.data.PairBatches;
import io.sparkformer.data.ParallelCorpus;
import io.sparkformer.data.TranslationPairs;
import io.sparkformer.decode.Seq2SeqTranslator;
import io.sparkformer.metrics.Bleu;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.tokenize.TranslationTokens;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.ArrayList;
import java.util.List;

/**
 * How well a translation model does on a parallel corpus: corpus BLEU of its translations against
 * the references (sacreBLEU-compatible, see {@link Bleu}) and the teacher-forced cross-entropy of
 * the references (mean per target token, {@code </s>} included, plain, without label smoothing).
 */
public final class TranslationEvaluator {
    private final ComputationGraph graph;
    private final Tokenizer sourceTokenizer;
    private final Tokenizer targetTokenizer;
    private final TranslationTokens source;
    private final TranslationTokens target;

    public TranslationEvaluator(ComputationGraph graph, Tokenizer sourceTokenizer, Tokenizer targetTokenizer) {
        this.graph = graph;
        this.sourceTokenizer = sourceTokenizer;
        this.targetTokenizer = targetTokenizer;
        this.source = TranslationTokens.of(sourceTokenizer);
        this.target = TranslationTokens.of(targetTokenizer);
    }

    /**
     * @param hypotheses the model's translations, one per pair
     * @param lossTokens target tokens the loss was measured over; pairs longer than the model's
     *                   maximum length on either side are left out of the loss ({@code skipped})
     */
    public record Result(Bleu.Score bleu, double loss, long lossTokens, int skipped, List<String> hypotheses) {
        public double perplexity() {
            return Math.exp(loss);
        }
    }

    /** Translations of source sentences, as text. */
    public List<String> translate(List<String> sentences, Seq2SeqTranslator.Options options) {
        List<int[]> ids = sentences.stream().map(sourceTokenizer::encode).toList();
        List<String> out = new ArrayList<>(sentences.size());
        for (Seq2SeqTranslator.Translation t : new Seq2SeqTranslator(graph, source, target).translate(ids, options)) {
            out.add(targetTokenizer.decode(t.text()).strip());
        }
        return out;
    }

    /** BLEU only (the loss is skipped): what training measures at each evaluation. */
    public Bleu.Score bleu(ParallelCorpus corpus, Seq2SeqTranslator.Options options) {
        return Bleu.corpus(translate(corpus.sources(), options), List.of(corpus.targets()), Bleu.Options.DEFAULT);
    }

    public Result evaluate(ParallelCorpus corpus, Seq2SeqTranslator.Options options, int batchSize) {
        List<String> hypotheses = translate(corpus.sources(), options);
        Bleu.Score bleu = Bleu.corpus(hypotheses, List.of(corpus.targets()), Bleu.Options.DEFAULT);
        TranslationPairs all = encode(corpus);
        int maxLength = new Seq2SeqTranslator(graph, source, target).maxLength();
        TranslationPairs fitting = all.fitting(maxLength);
        double loss = fitting.size() == 0 ? Double.NaN
                : LossEvaluator.meanLoss(graph, PairBatches.inOrder(fitting, batchSize, source, target));
        return new Result(bleu, loss, fitting.targetTokens(), all.size() - fitting.size(), hypotheses);
    }

    /** Text ids of both sides of every pair. */
    public TranslationPairs encode(ParallelCorpus corpus) {
        return new TranslationPairs(corpus.sources().stream().map(sourceTokenizer::encode).toArray(int[][]::new),
                corpus.targets().stream().map(targetTokenizer::encode).toArray(int[][]::new));
    }
}
