package io.sparkformer.job.cli;

import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.DataManifest;
import io.sparkformer.job.prepare.PrepareJob;
import io.sparkformer.job.spark.SparkContexts;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "prepare", mixinStandardHelpOptions = true,
        description = "Tokenize a corpus into token shards and a manifest.")
public final class PrepareCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Option(names = "--corpus", required = true, paramLabel = "URI",
            description = "Text file, directory or glob (.gz/.bz2/.zst decompressed), or a table with --format")
    String corpus;

    @Mixin
    TableOptions table;

    @Option(names = "--out", required = true, paramLabel = "URI", description = "Data directory to create")
    String out;

    @Override
    public Integer call() {
        try (JavaSparkContext sc = SparkContexts.create("sparkformer prepare")) {
            SparkformerConfig c = config.load(sc.hadoopConfiguration());
            DataManifest m = PrepareJob.run(sc, c, corpus, table.spec(corpus), out, Optional.empty());
            System.out.println(m.toJson());
        }
        return ExitCodes.OK;
    }
}
