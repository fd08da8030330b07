package io.sparkformer.job.table;

import io.sparkformer.InputException;
import io.sparkformer.data.LabeledTable;
import io.sparkformer.data.ParallelCorpus;
import io.sparkformer.job.Cli;
import io.sparkformer.job.TestCorpus;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Labeled rows and sentence pairs read from real tables by Spark SQL. */
class TablesTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void tables() {
        TestCorpus.useLocalSpark();
        SparkSession spark = SparkSession.builder().appName("tables-test").getOrCreate();
        try {
            StructType pairs = new StructType().add("de", DataTypes.StringType).add("en", DataTypes.StringType);
            spark.createDataFrame(List.of(RowFactory.create("ein Hund .", "a dog ."),
                            RowFactory.create(" zwei Katzen . ", "two cats ."), RowFactory.create("drei Vögel .", null)),
                    pairs).coalesce(1).write().json(dir.resolve("pairs.json").toString());
            StructType labeled = new StructType().add("text", DataTypes.StringType).add("label", DataTypes.BooleanType);
            List<Row> rows = List.of(RowFactory.create("fine film", true), RowFactory.create(" dull film ", false));
            spark.createDataFrame(rows, labeled).coalesce(1).write().parquet(dir.resolve("labeled.parquet").toString());
            spark.createDataFrame(List.of(rows.get(0), RowFactory.create("odd film", null)), labeled).coalesce(1)
                    .write().parquet(dir.resolve("unlabeled.parquet").toString());
        } finally {
            spark.stop();
        }
    }

    @AfterAll
    static void clear() {
        TestCorpus.clearLocalSpark();
    }

    private static <T> T withSpark(java.util.function.Supplier<T> read) {
        SparkSession spark = SparkSession.builder().appName("tables-test").getOrCreate();
        try {
            return read.get();
        } finally {
            spark.stop();
        }
    }

    private static TableSpec spec(TableFormat format, String text, String label, String source, String target) {
        return new TableSpec(format, text, label, source, target);
    }

    @Test
    void pairsComeFromTheSourceAndTargetColumnsInRowOrderAndAMissingValueIsNamed() {
        String json = dir.resolve("pairs.json").toString();
        InputException e = assertThrows(InputException.class, () -> withSpark(
                () -> Tables.pairs(json, spec(TableFormat.JSON, null, null, "de", "en"))));
        assertEquals("table " + json + " row 3: no value in column 'en'", e.getMessage());

        // The same table as two aligned tables: the rows whose target is there.
        ParallelCorpus c = withSpark(() -> Tables.pairs(json, json, spec(TableFormat.JSON, null, null, "en", "en")));
        assertEquals(List.of("a dog .", "two cats ."), c.sources());
        InputException m = assertThrows(InputException.class, () -> withSpark(
                () -> Tables.pairs(json, json, spec(TableFormat.JSON, null, null, "de", "en"))));
        assertEquals("misaligned parallel corpus: source " + json + " has 3 lines but target " + json + " has 2"
                + " (line i of one must translate line i of the other)", m.getMessage());
    }

    @Test
    void labeledRowsTakeABooleanLabelAsTextAndAMissingLabelIsNamedByRow() {
        TableSpec spec = spec(TableFormat.PARQUET, "text", "label", null, null);
        List<LabeledTable.Row> rows = withSpark(() -> Tables.labeled(dir.resolve("labeled.parquet").toString(), spec));
        assertEquals(List.of(new LabeledTable.Row(1, "fine film", "true"), new LabeledTable.Row(2, "dull film", "false")),
                rows);
        String unlabeled = dir.resolve("unlabeled.parquet").toString();
        InputException e = assertThrows(InputException.class, () -> withSpark(() -> Tables.labeled(unlabeled, spec)));
        assertEquals("table " + unlabeled + " row 2: empty label in column 'label'", e.getMessage());
    }

    @Test
    void seq2seqTrainingReadsItsPairsFromATableNamingAMissingColumn() {
        TestCorpus.useLocalSpark();
        String json = dir.resolve("pairs.json").toString();
        Cli.Result r = Cli.run("train", "--config", new File("../conf/seq2seq-tiny.conf").getAbsolutePath(),
                "--corpus", json, "--format", "json", "--source-column", "de", "--target-column", "english",
                "--out", dir.resolve("run").toString());
        assertEquals(2, r.code(), r.err());
        assertEquals("sparkformer train: error: table " + json + " has no column 'english' (columns: de, en)",
                r.err().strip());
        assertEquals(false, Files.exists(dir.resolve("run")));
    }
}
