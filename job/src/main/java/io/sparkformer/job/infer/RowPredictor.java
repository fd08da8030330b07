package io.sparkformer.job.infer;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;

import java.io.Serializable;
import java.util.List;

/**
 * What one inference command computes for a table, on the executors: the result columns it adds,
 * how its pipeline (from {@link io.sparkformer.api.Pipelines}) is loaded, and how a batch of texts
 * becomes one row of result values per text.
 *
 * @param <P> the pipeline, loaded once per executor task slot ({@link PipelinePool})
 */
public interface RowPredictor<P> extends Serializable {
    /** The columns appended to the input's, in the order {@link #predict} fills them. */
    List<StructField> fields();

    /** The checkpoint's pipeline; a checkpoint of another family is an input error naming it. */
    P load(String checkpoint, Configuration conf);

    /** One value per {@link #fields() field} for each text, in order; no text is blank. */
    List<Object[]> predict(P pipeline, List<String> texts);

    /**
     * The written table from the one {@link #predict} filled, given the pipeline the driver loaded: where a
     * column is better built by Spark than by {@code Row} encoding (a map), it is built here.
     */
    default Dataset<Row> finish(Dataset<Row> table, P pipeline) {
        return table;
    }

    /** Texts per {@link #predict} call: what a task holds in memory at once. */
    default int batchRows() {
        return 256;
    }
}
