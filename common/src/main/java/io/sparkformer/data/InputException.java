package io.sparkformer.data;

/** Bad input the user can fix (a corpus, a data directory, a prompt): one line naming the culprit. */
public class InputException extends IllegalArgumentException {
    public InputException(String message) {
        super(message);
    }

    public InputException(String message, Throwable cause) {
        super(message, cause);
    }
}
