package io.sparkformer.job.table;

import io.sparkformer.InputException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How an input URI is read. {@link #TEXT} is text files (plain or compressed, read byte-exact by
 * Sparkformer itself: the default); the others are Spark SQL data sources with named columns.
 */
public enum TableFormat {
    PARQUET, ORC, JSON, CSV, TEXT;

    /** The Spark SQL source name. */
    public String sourceName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean isTable() {
        return this != TEXT;
    }

    /** The format named by {@code --format}; {@code table} names the input in the error. */
    public static TableFormat parse(String name, String table) {
        for (TableFormat f : values()) {
            if (f.sourceName().equals(name.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new InputException("unknown --format '" + name + "' for table " + table + " (expected "
                + Arrays.stream(values()).map(TableFormat::sourceName).collect(Collectors.joining(", ")) + ")");
    }
}
