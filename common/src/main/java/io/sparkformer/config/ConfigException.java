package io.sparkformer.config;

import io.sparkformer.InputException;

/** A configuration or usage error the user can fix; its message is one line naming the culprit. */
public class ConfigException extends InputException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
