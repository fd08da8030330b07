package io.sparkformer.tokenize;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The 1.1 MB corpus in the shared data folder; tests that need it are skipped without it. */
final class TinyShakespeare {

    /** The text in id order of nanoGPT's shakespeare_char vocabulary. */
    static final String VOCABULARY =
            "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /** Its opening, for tests that need English text but not the whole file. */
    static final String OPENING =
            "First Citizen:\nBefore we proceed any further, hear me speak.\n\n"
                    + "All:\nSpeak, speak.\n\n"
                    + "First Citizen:\nYou are all resolved rather to die than to famish?\n\n"
                    + "All:\nResolved. resolved.\n\n"
                    + "First Citizen:\nFirst, you know Caius Marcius is chief enemy to the people.\n\n"
                    + "All:\nWe know't, we know't.\n\n"
                    + "First Citizen:\nLet us kill him, and we'll have corn at our own price.\n"
                    + "Is't a verdict?\n\n"
                    + "All:\nNo more talking on't; let it be done: away, away!\n\n";

    private static String text;

    private TinyShakespeare() {}

    static synchronized String text() {
        if (text == null) {
            String shared = System.getProperty("sparkformer.shared", "../shared");
            Path file = Path.of(shared, "data", "tinyshakespeare", "input.txt");
            assumeTrue(Files.isRegularFile(file), "Tiny Shakespeare not found at " + file);
            try {
                text = Files.readString(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return text;
    }
}
