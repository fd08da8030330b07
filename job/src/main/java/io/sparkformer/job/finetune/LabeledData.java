package io.sparkformer.job.finetune;

import io.sparkformer.InputException;
import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.data.CorpusFiles;
import io.sparkformer.data.LabeledTable;
import io.sparkformer.job.table.TableSpec;
import io.sparkformer.job.table.Tables;
import org.apache.hadoop.conf.Configuration;

import java.util.ArrayList;
import java.util.List;

/**
 * Labeled tables on any Hadoop file system: a file, or a directory or glob of files (each with its
 * own header row, as Spark writes CSV parts), read in path order on the driver; or, with a table
 * format, a Spark SQL table's text and label columns (by default the config's column names).
 */
public final class LabeledData {
    private LabeledData() {
    }

    public static List<LabeledTable.Row> read(String uri, FinetuneConfig config, TableSpec table, Configuration conf) {
        if (table.isTable()) {
            if (config.pairs()) {
                throw new InputException(uri + ": finetune.pairColumn (sentence pairs) is read from TSV/CSV files only,"
                        + " not from a " + table.format().sourceName() + " table");
            }
            return Tables.labeled(uri, table.withDefaultColumns(config.textColumn(), config.labelColumn()));
        }
        return read(uri, config, conf);
    }

    public static List<LabeledTable.Row> read(String uri, FinetuneConfig config, Configuration conf) {
        List<LabeledTable.Row> rows = new ArrayList<>();
        for (String file : CorpusFiles.list(uri, conf)) {
            rows.addAll(LabeledTable.parse(CorpusFiles.decode(file, CorpusFiles.read(file, conf)), file, config));
        }
        return rows;
    }
}
