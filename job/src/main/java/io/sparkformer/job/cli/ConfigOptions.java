package io.sparkformer.job.cli;

import io.sparkformer.InputException;
import io.sparkformer.UserPaths;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.job.prepare.PrepareJob;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Option;

import java.io.File;
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
        return ConfigLoader.load(text(hadoop), config, overrides, include -> read(include, hadoop));
    }

    /** The config file's content, {@code ""} without {@code --config}. */
    public String text(Configuration hadoop) {
        if (config == null) {
            return "";
        }
        return read(config, hadoop);
    }

    private static String read(String file, Configuration hadoop) {
        try {
            return PrepareJob.readString(path(file), hadoop);
        } catch (UncheckedIOException e) {
            throw new InputException("cannot read config " + file + ": " + e.getCause().getMessage());
        }
    }

    /** Names the config in messages: its URI, or {@code defaults}. */
    public String origin() {
        return config == null ? "defaults" : config;
    }

    public List<String> overrides() {
        return overrides;
    }

    /**
     * A config named without a scheme is a local file when one exists there (on a YARN gateway or in
     * a cluster-mode driver's working directory, where {@code --files} puts it), else a path on the
     * default file system.
     */
    static Path path(String config) {
        Path p = UserPaths.of(config, "--config");
        File local = new File(config);
        return p.toUri().getScheme() == null && local.isFile() ? new Path(local.getAbsoluteFile().toURI()) : p;
    }
}
