package io.sparkformer.job.cli;

import io.sparkformer.job.finetune.FinetuneJob;
import io.sparkformer.job.spark.SparkContexts;
import io.sparkformer.job.train.Progress;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = "Train a classifier on a labeled table from a BERT checkpoint (Spark parameter averaging,"
                + " early stopping on validation accuracy, best checkpoint kept).")
public final class FinetuneCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(FinetuneCommand.class);

    @Mixin
    ConfigOptions config;

    @Option(names = "--checkpoint", required = true, paramLabel = "URI",
            description = "BERT run directory or step directory: the encoder, architecture and tokenizer to start from")
    String checkpoint;

    @Option(names = "--from-scratch", description = "Use only the checkpoint's architecture and tokenizer (a baseline)")
    boolean fromScratch;

    @Option(names = "--train", required = true, paramLabel = "URI", description = "Labeled table (TSV or CSV with a header, per finetune.format), or a Spark SQL table with"
            + " --format")
    String train;

    @Mixin
    TableOptions table;

    @Option(names = "--validation", paramLabel = "URI",
            description = "Labeled table for early stopping (default: hold out data.valFraction of --train)")
    String validation;

    @Option(names = "--out", required = true, paramLabel = "URI", description = "Run directory (any Hadoop FS)")
    String out;

    @Option(names = "--overwrite", description = "Replace a run already in --out")
    boolean overwrite;

    @Override
    public Integer call() {
        try (JavaSparkContext sc = SparkContexts.create("sparkformer finetune")) {
            FinetuneJob.Result r = FinetuneJob.run(sc, config.load(sc.hadoopConfiguration()),
                    new FinetuneJob.Options(checkpoint, fromScratch, train, validation, table.spec(train), out,
                            overwrite));
            LOG.info("Finished at step {}{}: best validation accuracy {} at step {}; run in {}", r.steps(),
                    r.stoppedEarly() ? " (early stop)" : "", Progress.loss(r.bestAccuracy()), r.bestStep(), r.runDir());
        }
        return ExitCodes.OK;
    }
}
