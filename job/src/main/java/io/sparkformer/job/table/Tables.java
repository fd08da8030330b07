package io.sparkformer.job.table;

import io.sparkformer.InputException;
import io.sparkformer.data.LabeledTable;
import io.sparkformer.data.ParallelCorpus;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Collectors;

import static org.apache.spark.sql.functions.col;

/**
 * Tables read through Spark SQL (Parquet, ORC, JSON lines, CSV with a header row): the one place
 * where a table's rows become the texts, labeled rows or sentence pairs the commands train on. The
 * driver checks the table before any work: that it exists, has the column, the column holds strings
 * (labels may also be integers or booleans), and some row has a value; each is a one-line input
 * error naming the table and the column.
 */
public final class Tables {
    private Tables() {
    }

    /**
     * The texts of one column for language-model training, one element per partition of the table
     * ({@code (name, text)}, read on the executors): each non-null value followed by a newline, so a
     * table of lines gives the same text as the file of those lines.
     */
    public static JavaRDD<Tuple2<String, String>> texts(JavaSparkContext sc, String uri, TableSpec spec) {
        Dataset<Row> column = strings(uri, spec, spec.text());
        String name = uri + "#" + spec.text();
        return column.toJavaRDD().mapPartitionsWithIndex((index, rows) -> {
            StringBuilder text = new StringBuilder();
            while (rows.hasNext()) {
                text.append(rows.next().getString(0)).append('\n');
            }
            Iterator<Tuple2<String, String>> one = List.of(new Tuple2<>(name + "@" + index, text.toString())).iterator();
            return one;
        }, true);
    }

    /**
     * The whole table for batch inference, every column kept: checked on the driver that {@code column}
     * is there, holds strings and has a value in some row.
     */
    public static Dataset<Row> withTexts(String uri, TableSpec spec, String column) {
        Dataset<Row> table = load(uri, spec.format());
        strings(uri, table, column);
        return table;
    }

    /** The driver-side checks of {@link #texts} alone: before a run directory is claimed or replaced. */
    public static void requireTexts(String uri, TableSpec spec) {
        strings(uri, spec, spec.text());
    }

    /** The labeled rows of a table, in the table's order, collected on the driver (as files are). */
    public static List<LabeledTable.Row> labeled(String uri, TableSpec spec) {
        Dataset<Row> table = load(uri, spec.format());
        requireType(uri, table, spec.text(), true);
        requireType(uri, table, spec.label(), false);
        List<Row> rows = table.select(col(spec.text()), col(spec.label()).cast("string")).collectAsList();
        if (rows.isEmpty()) {
            throw empty(uri, spec.text());
        }
        List<LabeledTable.Row> out = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            String text = rows.get(i).getString(0);
            String label = rows.get(i).getString(1);
            if (text == null || text.isBlank()) {
                throw new InputException("table " + uri + " row " + (i + 1) + ": empty text in column '" + spec.text()
                        + "'");
            }
            if (label == null || label.isBlank()) {
                throw new InputException("table " + uri + " row " + (i + 1) + ": empty label in column '"
                        + spec.label() + "'");
            }
            out.add(new LabeledTable.Row(i + 1, text.strip(), label.strip()));
        }
        return out;
    }

    /** Sentence pairs from the source and target columns of one table. */
    public static ParallelCorpus pairs(String uri, TableSpec spec) {
        Dataset<Row> table = load(uri, spec.format());
        requireType(uri, table, spec.source(), true);
        requireType(uri, table, spec.target(), true);
        List<Row> rows = table.select(spec.source(), spec.target()).collectAsList();
        List<String> sources = new ArrayList<>();
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            String s = rows.get(i).getString(0);
            String t = rows.get(i).getString(1);
            if (s == null || t == null) {
                throw new InputException("table " + uri + " row " + (i + 1) + ": no value in column '"
                        + (s == null ? spec.source() : spec.target()) + "'");
            }
            sources.add(s.strip());
            targets.add(t.strip());
        }
        if (sources.isEmpty()) {
            throw empty(uri, spec.source());
        }
        return new ParallelCorpus(sources, targets, uri);
    }

    /** Sentence pairs from two tables aligned row by row: the source column of one, the target column of the other. */
    public static ParallelCorpus pairs(String sourceUri, String targetUri, TableSpec spec) {
        List<String> sources = lines(sourceUri, spec, spec.source());
        List<String> targets = lines(targetUri, spec, spec.target());
        return ParallelCorpus.of(sourceUri, String.join("\n", sources), targetUri, String.join("\n", targets));
    }

    private static List<String> lines(String uri, TableSpec spec, String column) {
        List<String> out = new ArrayList<>();
        for (Row r : strings(uri, spec, column).collectAsList()) {
            out.add(r.getString(0).replace('\n', ' '));
        }
        if (out.isEmpty()) {
            throw empty(uri, column);
        }
        return out;
    }

    /** The non-null values of a string column, checked on the driver: present, of type string, not empty. */
    private static Dataset<Row> strings(String uri, TableSpec spec, String column) {
        return strings(uri, load(uri, spec.format()), column);
    }

    private static Dataset<Row> strings(String uri, Dataset<Row> table, String column) {
        requireType(uri, table, column, true);
        Dataset<Row> values = table.select(column).where(col(column).isNotNull());
        if (values.isEmpty()) {
            throw empty(uri, column);
        }
        return values;
    }

    /** The table as Spark SQL sees it; a path that is missing or not in the format is an input error. */
    static Dataset<Row> load(String uri, TableFormat format) {
        if (!format.isTable()) {
            throw new InputException("--format text is read as files, not as a table");
        }
        DataFrameReader reader = SparkSession.builder().getOrCreate().read().format(format.sourceName());
        if (format == TableFormat.CSV) {
            // RFC 4180: a header row names the columns, quoted fields may hold commas, quotes ("") and newlines.
            reader = reader.option("header", "true").option("multiLine", "true").option("escape", "\"");
        }
        try {
            return reader.load(uri);
        } catch (Exception e) {
            if (e instanceof AnalysisException a) {
                throw new InputException("table " + uri + " cannot be read as " + format.sourceName() + ": "
                        + String.valueOf(a.getMessage()).split("\n")[0], e);
            }
            throw e;
        }
    }

    private static void requireType(String uri, Dataset<Row> table, String column, boolean text) {
        StructField field = Arrays.stream(table.schema().fields()).filter(f -> f.name().equals(column)).findFirst()
                .orElseThrow(() -> new InputException("table " + uri + " has no column '" + column + "' (columns: "
                        + Arrays.stream(table.schema().fieldNames()).collect(Collectors.joining(", ")) + ")"));
        DataType type = field.dataType();
        boolean ok = type instanceof StringType || (!text && (type instanceof IntegerType || type instanceof LongType
                || type instanceof ShortType || type instanceof ByteType || type instanceof BooleanType));
        if (!ok) {
            throw new InputException("table " + uri + " column '" + column + "' holds " + type.simpleString()
                    + ", expected " + (text ? "string (text)" : "string, integer or boolean (labels)"));
        }
    }

    private static InputException empty(String uri, String column) {
        return new InputException("table " + uri + " is empty: no row has a value in column '" + column + "'");
    }
}
