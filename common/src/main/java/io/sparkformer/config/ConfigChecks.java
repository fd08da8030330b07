package io.sparkformer.config;

/** Range checks shared by the config records, so every message has the same shape. */
final class ConfigChecks {
    private ConfigChecks() {
    }

    static void positive(String key, long value) {
        if (value <= 0) {
            throw new ConfigException(key + " must be > 0, got " + value);
        }
    }

    static void nonNegative(String key, double value) {
        if (!(value >= 0)) {
            throw new ConfigException(key + " must be >= 0, got " + value);
        }
    }

    static void inRange(String key, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw new ConfigException(key + " must be within [" + min + ", " + max + "], got " + value);
        }
    }

    /** Config files spell enum values in lower case ({@code positions = sinusoidal}). */
    static <E extends Enum<E>> E parseEnum(String key, String value, Class<E> type) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(value)) {
                return e;
            }
        }
        StringBuilder allowed = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            allowed.append(allowed.length() == 0 ? "" : ", ").append(e.name().toLowerCase(java.util.Locale.ROOT));
        }
        throw new ConfigException(key + " must be one of [" + allowed + "], got '" + value + "'");
    }
}
