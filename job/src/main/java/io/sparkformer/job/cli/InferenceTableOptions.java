package io.sparkformer.job.cli;

import io.sparkformer.config.ConfigException;
import io.sparkformer.job.infer.RowPredictor;
import io.sparkformer.job.infer.TableInference;
import io.sparkformer.job.spark.SparkContexts;
import io.sparkformer.job.table.TableSpec;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

import java.util.Locale;

/**
 * {@code --input TABLE --output TABLE} of the inference commands: with them a command runs over a
 * table on the executors ({@link TableInference}) instead of over texts on the driver.
 */
public final class InferenceTableOptions {
    @Option(names = "--input", paramLabel = "URI", description = "Table to run over (with --format and --output;"
            + " translate without --output: a file of sentences, one per line, default stdin)")
    String input;

    @Option(names = "--output", paramLabel = "URI", description = "Parquet table to write: the input's columns, the"
            + " id column and the results")
    String output;

    @Option(names = "--overwrite", description = "Replace an existing --output table")
    boolean overwrite;

    @Option(names = "--id-column", paramLabel = "NAME", description = "Input column that identifies a row (default:"
            + " row, added as the row's 0-based position when the input has no such column)")
    String idColumn = "row";

    /** Whether the command runs over a table; {@code driverInput} names what the driver-side mode takes instead. */
    public boolean requested(TableSpec spec, boolean driverInput, boolean inputIsFile) {
        if (output == null) {
            if (spec.isTable() || (input != null && !inputIsFile)) {
                throw new ConfigException("--input TABLE needs --output TABLE (and --format parquet, orc, json or csv)");
            }
            return false;
        }
        if (input == null) {
            throw new ConfigException("--output TABLE needs --input TABLE");
        }
        if (!spec.isTable()) {
            throw new ConfigException("--input " + input + " is read as a table: give --format parquet, orc, json or"
                    + " csv");
        }
        if (driverInput) {
            throw new ConfigException("texts on the command line and --input TABLE exclude each other");
        }
        return true;
    }

    /** Runs {@code predictor} over the table's {@code column}; prints one JSON line of what was written. */
    public int run(String command, String checkpoint, TableSpec spec, String column, RowPredictor<?> predictor) {
        try (JavaSparkContext sc = SparkContexts.create("sparkformer " + command)) {
            TableInference.Result r = TableInference.run(SparkSession.builder().getOrCreate(),
                    new TableInference.Request(checkpoint, input, spec, column, output, overwrite, idColumn), predictor);
            System.out.println(String.format(Locale.ROOT, "{\"output\":\"%s\",\"rows\":%d,\"seconds\":%.3f,"
                    + "\"rows_per_s\":%.1f}", output.replace("\\", "\\\\").replace("\"", "\\\""), r.rows(),
                    r.seconds(), r.rowsPerSecond()));
        }
        return ExitCodes.OK;
    }
}
