package io.sparkformer.job.cli;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.data.ArrayTokenSource;
import io.sparkformer.data.Batches;
import io.sparkformer.data.CorpusFiles;
import io.sparkformer.data.DataManifest;
import io.sparkformer.data.HadoopConf;
import io.sparkformer.data.InputException;
import io.sparkformer.data.ParallelCorpus;
import io.sparkformer.data.ShardedTokenSource;
import io.sparkformer.data.TokenSource;
import io.sparkformer.job.prepare.PrepareJob;
import io.sparkformer.job.train.RunDirectory;
import io.sparkformer.job.translate.TranslationCheckpoint;
import io.sparkformer.job.translate.TranslationEvaluation;
import io.sparkformer.model.gpt.GptLayer;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.train.LossEvaluator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Mean token cross-entropy over every non-overlapping window of a corpus (raw text: all of it; a
 * prepared data directory: its validation split), printed as one JSON object. A translation (seq2seq)
 * model: corpus BLEU of its translations of a parallel corpus, plus the references' loss and
 * perplexity.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, description = "Loss and perplexity of a checkpoint on a corpus.")
public final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "URI")
    String checkpoint;

    @Option(names = "--corpus", required = true, paramLabel = "URI",
            description = "Text or prepared data; seq2seq: source sentences (with --references) or a TSV of pairs")
    String corpus;

    @Option(names = "--references", paramLabel = "URI", description = "seq2seq: reference translations, line by line")
    String references;

    @Option(names = "--beam", paramLabel = "N", description = "seq2seq: beam size, 1 = greedy")
    int beam = 1;

    @Option(names = "--length-penalty", paramLabel = "ALPHA", description = "seq2seq: GNMT length penalty")
    double lengthPenalty = 0.6;

    @Option(names = "--max-length", paramLabel = "N", description = "seq2seq: output tokens at most (0 = the model's)")
    int maxLength = 0;

    @Option(names = "--hypotheses", paramLabel = "URI", description = "seq2seq: also write the translations here")
    String hypotheses;

    @Option(names = "--batch-size", paramLabel = "N")
    int batchSize = 32;

    @Override
    public Integer call() {
        Configuration conf = new Configuration();
        Checkpoint c = CheckpointStore.open(checkpoint, conf);
        if (TranslationCheckpoint.holdsTranslator(c)) {
            TranslationCheckpoint model = TranslationCheckpoint.of(c, checkpoint);
            ParallelCorpus pairs = references == null ? ParallelCorpus.readTsv(corpus, conf)
                    : ParallelCorpus.read(corpus, references, conf);
            System.out.println(TranslationEvaluation.run(model, pairs,
                    model.options(beam, lengthPenalty, maxLength, batchSize), batchSize, hypotheses, conf));
            return ExitCodes.OK;
        }
        if (references != null || hypotheses != null) {
            throw new InputException("--references and --hypotheses are for translation (seq2seq) checkpoints");
        }
        Tokenizer tokenizer = c.tokenizer();
        int context = ((GptLayer) c.model().getLayer(GptGraphBuilder.LAYER).conf().getLayer()).getContextLength();
        TokenSource source = source(conf, tokenizer);
        long[] starts = Batches.nonOverlappingStarts(source.size(), context);
        double loss = LossEvaluator.meanLoss(c.model(), source, starts, context, batchSize);
        System.out.println(String.format(Locale.ROOT, "{\"loss\":%.6f,\"perplexity\":%.6f,\"tokens\":%d}",
                loss, Math.exp(loss), (long) starts.length * context));
        return ExitCodes.OK;
    }

    private TokenSource source(Configuration conf, Tokenizer tokenizer) {
        if (RunDirectory.isPrepared(corpus, conf)) {
            DataManifest m = DataManifest.fromJson(PrepareJob.readString(new Path(corpus, DataManifest.FILE), conf),
                    corpus + "/" + DataManifest.FILE);
            if (!m.tokenizerSha256().equals(tokenizer.sha256())) {
                throw new InputException("data directory " + corpus + " was tokenized with another tokenizer than "
                        + "checkpoint " + checkpoint);
            }
            return ShardedTokenSource.validation(corpus, m, new HadoopConf(conf));
        }
        StringBuilder text = new StringBuilder();
        for (String file : CorpusFiles.list(corpus, conf)) {
            text.append(CorpusFiles.decode(file, CorpusFiles.read(file, conf)));
        }
        return new ArrayTokenSource(tokenizer.encode(text.toString()));
    }
}
