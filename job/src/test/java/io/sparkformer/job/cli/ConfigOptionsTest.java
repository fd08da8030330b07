package io.sparkformer.job.cli;

import io.sparkformer.InputException;
import io.sparkformer.config.SparkformerConfig;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@code --config} as the commands read it: through Hadoop, with includes next to the file. */
class ConfigOptionsTest {
    @TempDir
    Path dir;

    private ConfigOptions options(String config, String... overrides) {
        ConfigOptions options = new ConfigOptions();
        options.config = config;
        options.overrides = List.of(overrides);
        return options;
    }

    @Test
    void includeIsReadNextToTheConfigGivenAsAFileUri() throws Exception {
        Files.createDirectories(dir.resolve("conf"));
        Files.writeString(dir.resolve("conf/base.conf"), "model.layers = 5\ntrain.batchSize = 3\n");
        Files.writeString(dir.resolve("conf/job.conf"), "include \"base.conf\"\ntrain.batchSize = 4\n");

        SparkformerConfig c = options(dir.resolve("conf/job.conf").toUri().toString(), "train.steps=9")
                .load(new Configuration());

        assertEquals(5, c.model().layers());
        assertEquals(4, c.train().batchSize());
        assertEquals(9, c.train().steps());
    }

    @Test
    void missingIncludeIsABadInputNamingIt() throws Exception {
        Files.writeString(dir.resolve("job.conf"), "include \"absent.conf\"\n");

        InputException e = assertThrows(InputException.class,
                () -> options(dir.resolve("job.conf").toString()).load(new Configuration()));

        String absent = dir.resolve("absent.conf").toString();
        assertEquals("cannot read config " + absent + ": File " + absent + " does not exist", e.getMessage());
    }
}
