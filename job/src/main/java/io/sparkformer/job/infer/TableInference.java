package io.sparkformer.job.infer;

import io.sparkformer.InputException;
import io.sparkformer.UserPaths;
import io.sparkformer.data.HadoopConf;
import io.sparkformer.job.table.TableSpec;
import io.sparkformer.job.table.Tables;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Batch inference over a table on the executors: every input row comes out once, in the input's
 * order (as Spark reads it), with its columns, an id and the predictor's result columns, written as
 * Parquet. Each task borrows the checkpoint's pipeline from its JVM's {@link PipelinePool} and runs
 * it on batches of its rows; a row whose text is null or blank gets null results.
 */
public final class TableInference {
    private static final Logger LOG = LoggerFactory.getLogger(TableInference.class);

    /**
     * One job: read {@code input} ({@code spec}'s format, texts in {@code column}), run the pipeline of
     * {@code checkpoint}, write {@code output}. {@code idColumn} is kept when the input has it, otherwise
     * added as the row's 0-based position.
     */
    public record Request(String checkpoint, String input, TableSpec spec, String column, String output,
                          boolean overwrite, String idColumn) {
    }

    /** What was written. */
    public record Result(long rows, double seconds) {
        public double rowsPerSecond() {
            return rows / seconds;
        }
    }

    private TableInference() {
    }

    public static <P> Result run(SparkSession spark, Request r, RowPredictor<P> predictor) {
        long start = System.nanoTime();
        HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
        Dataset<Row> table = Tables.withTexts(r.input(), r.spec(), r.column());
        List<String> columns = Arrays.asList(table.schema().fieldNames());
        for (StructField f : predictor.fields()) {
            if (columns.contains(f.name())) {
                throw new InputException("table " + r.input() + " already has a column '" + f.name()
                        + "', which the results are written to");
            }
        }
        requireNewOutput(r, conf);
        // The checkpoint is read on the driver first: a wrong or missing one fails here, in one line.
        String key = poolKey(predictor, r.checkpoint());
        P driverCopy = PipelinePool.borrow(key, () -> predictor.load(r.checkpoint(), conf.get()));
        PipelinePool.release(key, driverCopy);

        boolean addId = !columns.contains(r.idColumn());
        StructType schema = table.schema();
        if (addId) {
            schema = schema.add(DataTypes.createStructField(r.idColumn(), DataTypes.LongType, false));
        }
        for (StructField f : predictor.fields()) {
            schema = schema.add(f);
        }
        int textIndex = columns.indexOf(r.column());
        String checkpoint = r.checkpoint();
        JavaRDD<Row> results = ordered(spark, table)
                .mapPartitions(rows -> predict(rows, textIndex, addId, key, predictor, checkpoint, conf), true);
        Dataset<Row> out = predictor.finish(spark.createDataFrame(results, schema), driverCopy);
        out.write().mode(r.overwrite() ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(r.output());
        long rows = spark.read().parquet(r.output()).count();
        Result result = new Result(rows, (System.nanoTime() - start) / 1e9);
        LOG.info("{} rows of {} -> {} in {} s ({} rows/s)", rows, r.input(), r.output(),
                String.format("%.1f", result.seconds()), String.format("%.1f", result.rowsPerSecond()));
        return result;
    }

    /** Which pipelines of the {@link PipelinePool} a predictor over {@code checkpoint} shares. */
    static String poolKey(RowPredictor<?> predictor, String checkpoint) {
        return predictor.getClass().getName() + " " + checkpoint;
    }

    private static void requireNewOutput(Request r, HadoopConf conf) {
        try {
            Path out = UserPaths.of(r.output(), "--output");
            if (!r.overwrite() && out.getFileSystem(conf.get()).exists(out)) {
                throw new InputException("output table " + r.output() + " already exists (--overwrite replaces it)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check output table " + r.output() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The rows paired with their 0-based position, spread over at least as many partitions as the
     * cluster runs tasks at once (a one-file table is one partition), still in order: partition k
     * holds the k-th range of positions, sorted.
     */
    private static JavaPairRDD<Long, Row> ordered(SparkSession spark, Dataset<Row> table) {
        JavaRDD<Row> rows = table.toJavaRDD();
        JavaPairRDD<Long, Row> indexed = rows.zipWithIndex().mapToPair(t -> new Tuple2<>(t._2(), t._1()));
        int slots = spark.sparkContext().defaultParallelism();
        if (rows.getNumPartitions() >= slots) {
            return indexed;
        }
        long count = indexed.count();
        return indexed.repartitionAndSortWithinPartitions(new RangeOfPositions(slots, count));
    }

    /** The partition's rows with their results, computed a batch at a time as Spark asks for them. */
    private static <P> Iterator<Row> predict(Iterator<Tuple2<Long, Row>> rows, int textIndex, boolean addId,
                                             String key, RowPredictor<P> predictor, String checkpoint,
                                             HadoopConf conf) {
        P pipeline = PipelinePool.borrow(key, () -> predictor.load(checkpoint, conf.get()));
        return new Iterator<>() {
            private Iterator<Row> batch = java.util.Collections.emptyIterator();
            private boolean released;

            @Override
            public boolean hasNext() {
                if (!batch.hasNext() && rows.hasNext()) {
                    List<Tuple2<Long, Row>> next = new ArrayList<>(predictor.batchRows());
                    while (rows.hasNext() && next.size() < predictor.batchRows()) {
                        next.add(rows.next());
                    }
                    batch = predictBatch(next, textIndex, addId, predictor, pipeline).iterator();
                }
                if (!batch.hasNext() && !released) {
                    released = true;        // a task that fails midway drops its copy: the next one loads anew
                    PipelinePool.release(key, pipeline);
                }
                return batch.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                return batch.next();
            }
        };
    }

    private static <P> List<Row> predictBatch(List<Tuple2<Long, Row>> batch, int textIndex, boolean addId,
                                              RowPredictor<P> predictor, P pipeline) {
        List<String> texts = new ArrayList<>();
        for (Tuple2<Long, Row> t : batch) {
            String text = t._2().getString(textIndex);
            if (text != null && !text.isBlank()) {
                texts.add(text);
            }
        }
        Iterator<Object[]> results = texts.isEmpty() ? List.<Object[]>of().iterator()
                : predictor.predict(pipeline, texts).iterator();
        int width = predictor.fields().size();
        List<Row> out = new ArrayList<>(batch.size());
        for (Tuple2<Long, Row> t : batch) {
            Row in = t._2();
            String text = in.getString(textIndex);
            Object[] result = text != null && !text.isBlank() ? results.next() : new Object[width];
            Object[] values = new Object[in.length() + (addId ? 1 : 0) + width];
            for (int i = 0; i < in.length(); i++) {
                values[i] = in.get(i);
            }
            if (addId) {
                values[in.length()] = t._1();
            }
            System.arraycopy(result, 0, values, values.length - width, width);
            out.add(RowFactory.create(values));
        }
        return out;
    }

    /** Partition k of n holds positions [k*count/n, (k+1)*count/n). */
    private static final class RangeOfPositions extends Partitioner {
        private final int partitions;
        private final long count;

        RangeOfPositions(int partitions, long count) {
            this.partitions = partitions;
            this.count = Math.max(1, count);
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        @Override
        public int getPartition(Object key) {
            return (int) Math.min(partitions - 1, (Long) key * partitions / count);
        }
    }
}
