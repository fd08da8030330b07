package io.sparkformer.job.cli;

import io.sparkformer.InputException;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.config.ConfigException;
import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.data.ArrayTokenSource;
import io.sparkformer.data.Batches;
import io.sparkformer.data.CorpusFiles;
import io.sparkformer.data.DataManifest;
import io.sparkformer.data.HadoopConf;
import io.sparkformer.data.MlmBatches;
import io.sparkformer.data.MlmMasking;
import io.sparkformer.data.ParallelCorpus;
import io.sparkformer.data.ShardedTokenSource;
import io.sparkformer.data.TokenSource;
import io.sparkformer.model.FamilyKind;
import io.sparkformer.job.finetune.ClassifierCheckpoint;
import io.sparkformer.job.prepare.PrepareJob;
import io.sparkformer.job.train.RunDirectory;
import io.sparkformer.job.translate.TranslationCheckpoint;
import io.sparkformer.job.translate.TranslationEvaluation;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.train.LossEvaluator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.dataset.DataSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * One JSON object on stdout. A language model: mean token cross-entropy over every non-overlapping
 * window of a corpus (raw text: all of it; a prepared data directory: its validation split), for a
 * BERT masked-LM over its selected tokens. A classifier: loss, accuracy, per-class and macro
 * precision/recall/F1 and the confusion matrix on a labeled table. A translation (seq2seq) model:
 * corpus BLEU of its translations of a parallel corpus, plus the references' loss and perplexity.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Loss and perplexity of a language model on a corpus, or classification metrics of a"
                + " classifier on a labeled table.")
public final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "URI")
    String checkpoint;

    @Option(names = "--corpus", required = true, paramLabel = "URI",
            description = "Text or prepared data (language models); a labeled table (classifiers); seq2seq: source"
                    + " sentences (with --references) or a TSV of pairs")
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

    @Option(names = "--text-column", paramLabel = "NAME", description = "Classifiers: default as in fine-tuning")
    String textColumn;

    @Option(names = "--label-column", paramLabel = "NAME", description = "Classifiers: default as in fine-tuning")
    String labelColumn;

    @Option(names = "--pair-column", paramLabel = "NAME", description = "Classifiers: the column of each row's second"
            + " text (sentence pairs); default as in fine-tuning")
    String pairColumn;

    @Override
    public Integer call() {
        checkOptions();
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
        if (ClassifierCheckpoint.holdsClassifier(c)) {
            ClassifierCheckpoint classifier = ClassifierCheckpoint.of(c, checkpoint);
            FinetuneConfig t = classifier.table();
            FinetuneConfig format = t.withColumns(textColumn == null ? t.textColumn() : textColumn,
                    labelColumn == null ? t.labelColumn() : labelColumn,
                    pairColumn == null ? t.pairColumn() : pairColumn);
            System.out.println(classifier.evaluate(corpus, format, conf).toJson());
            return ExitCodes.OK;
        }
        Tokenizer tokenizer = c.tokenizer();
        TokenSource source = source(conf, tokenizer);
        FamilyKind kind = FamilyKind.of(c).orElse(null);
        int context = c.config().model().contextLength();
        double loss;
        long tokens;
        if (kind == FamilyKind.BERT_MLM) {
            BertTokens specials = BertTokens.of(tokenizer);
            MlmBatches masked = new MlmBatches(source, new MlmMasking(c.config().bert().maskProbability(),
                    c.config().train().seed(), specials), specials, context);
            long[] starts = Batches.nonOverlappingStarts(source.size(), BertTokens.textLength(context));
            List<DataSet> batches = new ArrayList<>();
            tokens = 0;
            for (int i = 0; i * batchSize < starts.length; i++) {
                DataSet batch = masked.of(Batches.slice(starts, i, batchSize), (long) i * batchSize);
                tokens += batch.getLabelsMaskArray().sumNumber().longValue();
                batches.add(batch);
            }
            loss = LossEvaluator.meanLoss(c.model(), batches);
        } else if (kind == FamilyKind.GPT) {
            long[] starts = Batches.nonOverlappingStarts(source.size(), context);
            loss = LossEvaluator.meanLoss(c.model(), source, starts, context, batchSize);
            tokens = (long) starts.length * context;
        } else {
            throw new InputException("checkpoint " + checkpoint + " holds a "
                    + c.model().getLayers()[0].conf().getLayer().getClass().getSimpleName() + ", which evaluate does not know");
        }
        System.out.println(String.format(Locale.ROOT, "{\"loss\":%.6f,\"perplexity\":%.6f,\"tokens\":%d}",
                loss, Math.exp(loss), tokens));
        return ExitCodes.OK;
    }

    /** Before anything is loaded: a batch size of 0 would loop forever over the windows. */
    private void checkOptions() {
        if (batchSize <= 0) {
            throw new ConfigException("--batch-size must be > 0, got " + batchSize);
        }
        if (beam <= 0) {
            throw new ConfigException("--beam must be > 0 (1 = greedy), got " + beam);
        }
        if (maxLength < 0) {
            throw new ConfigException("--max-length must be >= 0 (0 = the model's), got " + maxLength);
        }
        if (!(lengthPenalty >= 0) || Double.isInfinite(lengthPenalty)) {
            throw new ConfigException("--length-penalty must be finite and >= 0, got " + lengthPenalty);
        }
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
