package io.sparkformer.job.cli;

import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.job.spark.SparkContexts;
import io.sparkformer.job.train.TrainingJob;
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

    @Option(names = "--corpus", required = true, paramLabel = "URI", description = "Text file, directory, glob, or prepared data directory")
    String corpus;

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
            TrainingJob.Result r = TrainingJob.run(sc, c, new TrainingJob.Options(corpus, out, resume, overwrite));
            LOG.info("Finished at step {}: train loss {}, validation loss {}; run in {}", r.steps(), r.trainLoss(),
                    r.valLoss(), r.runDir());
        }
        return ExitCodes.OK;
    }
}
