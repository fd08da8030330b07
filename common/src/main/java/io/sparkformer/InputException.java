package io.sparkformer;

/**
 * Bad input the user can fix: a config value, a command-line option, a path, a corpus, a table, a
 * tokenizer or model files to import. The message is one line naming the culprit, and the command
 * line exits with code 2 for it (and for nothing else but usage errors and checkpoints that cannot be
 * found or trusted). Every check of what the user handed in throws this type or a subclass
 * ({@link io.sparkformer.config.ConfigException} for config and options); a plain
 * {@link IllegalArgumentException} or {@link IllegalStateException} is a broken invariant, a bug,
 * and exits 1 with its stack trace in the log.
 */
public class InputException extends IllegalArgumentException {
    public InputException(String message) {
        super(message);
    }

    public InputException(String message, Throwable cause) {
        super(message, cause);
    }
}
