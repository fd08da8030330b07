package io.sparkformer.export;

import io.sparkformer.InputException;

/**
 * A safetensors file that cannot be read as one: the message is one line naming the file and what
 * is wrong, e.g. {@code model.safetensors: tensor "b" has data_offsets [4, 12], overlapping tensor
 * "a" at [0, 8]}. An {@link InputException}: the command line reports it as bad input (exit code 2).
 */
public class SafetensorsException extends InputException {
    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
