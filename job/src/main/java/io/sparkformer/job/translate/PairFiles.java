package io.sparkformer.job.translate;

import io.sparkformer.config.ConfigException;
import io.sparkformer.data.ParallelCorpus;
import io.sparkformer.job.table.TableSpec;
import io.sparkformer.job.table.Tables;
import org.apache.hadoop.conf.Configuration;

/**
 * Where a parallel corpus is: two aligned files ({@code --source}, {@code --target}) or one TSV
 * ({@code --corpus}); with a table {@code format}, two tables aligned row by row or one table with
 * a source and a target column. {@code flag} prefixes the option names in messages ("" or "val-").
 */
public record PairFiles(String source, String target, String tsv, String flag, TableSpec format) {

    /** Text files. */
    public PairFiles(String source, String target, String tsv, String flag) {
        this(source, target, tsv, flag, TableSpec.FILES);
    }

    public PairFiles {
        boolean files = source != null || target != null;
        if (files && tsv != null) {
            throw new ConfigException("give either --" + flag + "source and --" + flag + "target, or --"
                    + (flag.isEmpty() ? "corpus" : flag + "corpus") + " (a TSV), not both");
        }
        if (files && (source == null || target == null)) {
            throw new ConfigException("--" + flag + "source and --" + flag + "target go together: "
                    + (source == null ? "--" + flag + "source" : "--" + flag + "target") + " is missing");
        }
    }

    public boolean isGiven() {
        return tsv != null || source != null;
    }

    public ParallelCorpus read(Configuration conf) {
        if (format.isTable()) {
            return tsv != null ? Tables.pairs(tsv, format) : Tables.pairs(source, target, format);
        }
        return tsv != null ? ParallelCorpus.readTsv(tsv, conf) : ParallelCorpus.read(source, target, conf);
    }

    @Override
    public String toString() {
        return tsv != null ? tsv : source + " / " + target;
    }
}
