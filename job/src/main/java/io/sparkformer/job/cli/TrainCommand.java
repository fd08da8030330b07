package io.sparkformer.job.cli;

import io.sparkformer.config.ConfigException;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.model.FamilyKind;
import io.sparkformer.job.spark.SparkContexts;
import io.sparkformer.job.train.Progress;
import io.sparkformer.job.train.TrainingJob;
import io.sparkformer.job.translate.PairFiles;
import io.sparkformer.job.translate.TranslationTrainingJob;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a model on a corpus (raw text is prepared into <out>/data first).")
public final class TrainCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(TrainCommand.class);

    @Mixin
    ConfigOptions config;

    @Option(names = "--corpus", paramLabel = "URI", description = "Text file, directory, glob (.gz/.bz2/.zst"
            + " decompressed), prepared data directory, or a table with --format; seq2seq: a TSV of source<TAB>target"
            + " lines, or a table with --source-column/--target-column")
    String corpus;

    @Option(names = "--source", paramLabel = "URI", description = "seq2seq: source sentences, one per line")
    String source;

    @Option(names = "--target", paramLabel = "URI", description = "seq2seq: their translations, line by line")
    String target;

    @Option(names = "--val-source", paramLabel = "URI", description = "seq2seq: validation source sentences"
            + " (default: the last data.valFraction of the pairs)")
    String valSource;

    @Option(names = "--val-target", paramLabel = "URI", description = "seq2seq: validation translations")
    String valTarget;

    @Option(names = "--val-corpus", paramLabel = "URI", description = "seq2seq: validation pairs as a TSV")
    String valCorpus;

    @Mixin
    TableOptions table;

    @Option(names = "--out", required = true, paramLabel = "URI", description = "Run directory (any Hadoop FS)")
    String out;

    @Option(names = "--resume", description = "Continue from the newest complete checkpoint in --out")
    boolean resume;

    @Option(names = "--overwrite", description = "Replace a run already in --out")
    boolean overwrite;

    @Override
    public Integer call() {
        try (JavaSparkContext sc = SparkContexts.create("sparkformer train")) {
            SparkformerConfig c = config.load(sc.hadoopConfiguration());
            LOG.info("Effective config:\n{}", ConfigLoader.render(c));
            if (FamilyKind.of(c) == FamilyKind.SEQ2SEQ) {
                TranslationTrainingJob.Result r = TranslationTrainingJob.run(sc, c, new TranslationTrainingJob.Options(
                        requirePairs(new PairFiles(source, target, corpus, "", table.spec(tableName()))),
                        new PairFiles(valSource, valTarget, valCorpus, "val-", table.spec(tableName())), out, resume,
                        overwrite));
                LOG.info("Finished at step {}: train loss {}, validation loss {}, validation BLEU {}; run in {}",
                        r.steps(), Progress.loss(r.trainLoss()), Progress.loss(r.valLoss()),
                        r.valBleu() == null ? "-" : String.format(java.util.Locale.ROOT, "%.2f", r.valBleu()), r.runDir());
                return ExitCodes.OK;
            }
            if (corpus == null || source != null || target != null || valSource != null || valTarget != null
                    || valCorpus != null) {
                throw new ConfigException("model.family = " + FamilyKind.of(c).configName()
                        + " trains on --corpus only (--source/--target/--val-* are for seq2seq)");
            }
            TrainingJob.Result r = TrainingJob.run(sc, c,
                    new TrainingJob.Options(corpus, table.spec(corpus), out, resume, overwrite));
            LOG.info("Finished at step {}: train loss {}, validation loss {}{}; run in {}", r.steps(),
                    Progress.loss(r.trainLoss()), Progress.loss(r.valLoss()),
                    r.valUnigram() == null ? "" : " (unigram baseline " + Progress.loss(r.valUnigram()) + ")", r.runDir());
        }
        return ExitCodes.OK;
    }

    /** The input an unknown --format is reported against. */
    private String tableName() {
        return corpus != null ? corpus : String.valueOf(source);
    }

    private static PairFiles requirePairs(PairFiles files) {
        if (!files.isGiven()) {
            throw new ConfigException("model.family = seq2seq needs a parallel corpus: --source and --target, or"
                    + " --corpus with a TSV");
        }
        return files;
    }
}
