package io.sparkformer.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code include "x.conf"} is read next to the including file, never from the classpath. */
class ConfigIncludeTest {
    @TempDir
    Path dir;

    private static final Function<String, String> READ = file -> {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    };

    private SparkformerConfig loadFile(Path file, String... overrides) throws IOException {
        return ConfigLoader.load(Files.readString(file), file.toString(), List.of(overrides), READ);
    }

    @Test
    void includesResolveAgainstTheIncludingFilesDirectoryAndNest() throws IOException {
        Files.createDirectories(dir.resolve("team/base"));
        Files.writeString(dir.resolve("team/job.conf"), "include \"base/model.conf\"\ntrain.steps = 7\n");
        // Nested: relative to base/, not to the top-level file's directory.
        Files.writeString(dir.resolve("team/base/model.conf"), "include \"../../common.conf\"\nmodel.layers = 3\ntrain.steps = 1\n");
        Files.writeString(dir.resolve("common.conf"), "model.heads = 2\nmodel.embedDim = 64\n");

        SparkformerConfig c = loadFile(dir.resolve("team/job.conf"), "model.heads=8");

        assertEquals(3, c.model().layers());
        assertEquals(64, c.model().embedDim());
        assertEquals(7, c.train().steps(), "the including file's own value wins over its include");
        assertEquals(8, c.model().heads(), "--set wins over every file");
    }

    @Test
    void includeOfAClasspathResourceNameIsNotTakenFromTheClasspath() throws IOException {
        // defaults.conf exists on the classpath (io/sparkformer/config/defaults.conf); next to the file it does not.
        Files.writeString(dir.resolve("job.conf"), "include \"io/sparkformer/config/defaults.conf\"\n");

        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> loadFile(dir.resolve("job.conf")));

        assertEquals("cannot read " + dir.resolve("io/sparkformer/config/defaults.conf"), e.getMessage());
    }

    @Test
    void includeCycleIsAnErrorNamingTheFile() throws IOException {
        Files.writeString(dir.resolve("a.conf"), "include \"b.conf\"\n");
        Files.writeString(dir.resolve("b.conf"), "include \"a.conf\"\n");

        ConfigException e = assertThrows(ConfigException.class, () -> loadFile(dir.resolve("a.conf")));

        assertTrue(e.getMessage().contains("includes nest more than 16 deep (an include cycle?)"), e.getMessage());
    }

    @Test
    void configGivenAsTextCannotInclude() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load("include \"x.conf\"\n", "--config text", List.of()));

        assertTrue(e.getMessage().contains("--config text includes x.conf, but a config given as text has no directory"),
                e.getMessage());
    }
}
