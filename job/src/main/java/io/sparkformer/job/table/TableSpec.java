package io.sparkformer.job.table;

import java.io.Serializable;

/**
 * How the commands' input URIs are read: {@code --format} and the columns that hold each part of an
 * example. A column left null takes the family's default ({@link #TEXT_COLUMN} and the like; for
 * {@code finetune}, {@code finetune.textColumn}/{@code labelColumn} of the config).
 */
public record TableSpec(TableFormat format, String textColumn, String labelColumn, String sourceColumn,
                        String targetColumn) implements Serializable {
    public static final String TEXT_COLUMN = "text";
    public static final String LABEL_COLUMN = "label";
    public static final String SOURCE_COLUMN = "source";
    public static final String TARGET_COLUMN = "target";

    /** Text files, as before tables: what no {@code --format} means. */
    public static final TableSpec FILES = new TableSpec(TableFormat.TEXT, null, null, null, null);

    public TableSpec {
        if (format == null) {
            throw new IllegalArgumentException("format is required (TableFormat.TEXT for files)");
        }
    }

    public boolean isTable() {
        return format.isTable();
    }

    public String text() {
        return textColumn == null ? TEXT_COLUMN : textColumn;
    }

    public String label() {
        return labelColumn == null ? LABEL_COLUMN : labelColumn;
    }

    public String source() {
        return sourceColumn == null ? SOURCE_COLUMN : sourceColumn;
    }

    public String target() {
        return targetColumn == null ? TARGET_COLUMN : targetColumn;
    }

    /** The same spec with defaults for the text and label columns (finetune's come from its config). */
    public TableSpec withDefaultColumns(String text, String label) {
        return new TableSpec(format, textColumn == null ? text : textColumn, labelColumn == null ? label : labelColumn,
                sourceColumn, targetColumn);
    }

    /** What {@code run.json} records of it, so that a run resumed with other columns is refused. */
    public String describe() {
        return isTable() ? format.sourceName() + " text=" + text() + " label=" + label() + " source=" + source()
                + " target=" + target() : null;
    }
}
