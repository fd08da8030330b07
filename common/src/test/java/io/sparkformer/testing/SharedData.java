package io.sparkformer.testing;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The reference data sets in ../shared/data (never copied into the repository). */
public final class SharedData {
    private SharedData() {
    }

    /** A file under shared/data; the calling test is skipped when it is absent. */
    public static Path file(String relative) {
        String shared = System.getProperty("sparkformer.shared", "../shared");
        Path file = Path.of(shared, "data").resolve(relative);
        assumeTrue(Files.isRegularFile(file), "shared data not found: " + file);
        return file;
    }

    public static Path tinyShakespeare() {
        return file("tinyshakespeare/input.txt");
    }
}
