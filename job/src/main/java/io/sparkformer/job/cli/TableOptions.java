package io.sparkformer.job.cli;

import io.sparkformer.config.ConfigException;
import io.sparkformer.job.table.TableFormat;
import io.sparkformer.job.table.TableSpec;
import picocli.CommandLine.Option;

/** {@code --format} and the column options of the training commands: parsed once into a {@link TableSpec}. */
public final class TableOptions {
    @Option(names = "--format", paramLabel = "FORMAT", description = "How the input is read: text (files, the default;"
            + " .gz/.bz2/.zst decompressed) or a Spark SQL table: parquet, orc, json, csv (with a header row)")
    String format;

    @Option(names = "--text-column", paramLabel = "NAME", description = "Table column holding the text (default: text;"
            + " finetune: finetune.textColumn)")
    String textColumn;

    @Option(names = "--label-column", paramLabel = "NAME", description = "finetune: table column holding the label"
            + " (default: finetune.labelColumn)")
    String labelColumn;

    @Option(names = "--source-column", paramLabel = "NAME", description = "seq2seq: table column holding the source"
            + " sentence (default: source)")
    String sourceColumn;

    @Option(names = "--target-column", paramLabel = "NAME", description = "seq2seq: table column holding the"
            + " translation (default: target)")
    String targetColumn;

    /** The spec; {@code table} names the input in an unknown-format error. */
    public TableSpec spec(String table) {
        TableFormat f = format == null ? TableFormat.TEXT : TableFormat.parse(format, table);
        if (!f.isTable() && (textColumn != null || labelColumn != null || sourceColumn != null || targetColumn != null)) {
            throw new ConfigException("the column options name columns of a table: give --format parquet, orc, json"
                    + " or csv with them");
        }
        return new TableSpec(f, textColumn, labelColumn, sourceColumn, targetColumn);
    }
}
