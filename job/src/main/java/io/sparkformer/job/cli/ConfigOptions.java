package io.sparkformer.job.cli;

import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.InputException;
import io.sparkformer.job.prepare.PrepareJob;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Option;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** {@code --config FILE} and repeated {@code --set key=value}: the one path into a typed config. */
public final class ConfigOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "HOCON config (any Hadoop FS URI); defaults when absent")
    String config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one config key (repeatable)")
    List<String> overrides = new ArrayList<>();

    public SparkformerConfig load(Configuration hadoop) {
        if (config == null) {
            return ConfigLoader.defaults(overrides);
        }
        String text;
        try {
            text = PrepareJob.readString(new Path(config), hadoop);
        } catch (UncheckedIOException e) {
            throw new InputException("cannot read config " + config + ": " + e.getCause().getMessage());
        }
        return ConfigLoader.load(text, config, overrides);
    }
}
