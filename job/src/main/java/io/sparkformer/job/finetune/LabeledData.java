package io.sparkformer.job.finetune;

import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.data.CorpusFiles;
import io.sparkformer.data.LabeledTable;
import org.apache.hadoop.conf.Configuration;

import java.util.ArrayList;
import java.util.List;

/**
 * Labeled tables on any Hadoop file system: a file, or a directory or glob of files (each with its
 * own header row, as Spark writes CSV parts), read in path order on the driver.
 */
public final class LabeledData {
    private LabeledData() {
    }

    public static List<LabeledTable.Row> read(String uri, FinetuneConfig config, Configuration conf) {
        List<LabeledTable.Row> rows = new ArrayList<>();
        for (String file : CorpusFiles.list(uri, conf)) {
            rows.addAll(LabeledTable.parse(CorpusFiles.decode(file, CorpusFiles.read(file, conf)), file, config));
        }
        return rows;
    }
}
