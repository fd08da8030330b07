package io.sparkformer.job.table;

import io.sparkformer.data.DataManifest;
import io.sparkformer.data.HadoopConf;
import io.sparkformer.data.ShardedTokenSource;
import io.sparkformer.data.TextSplits;
import io.sparkformer.job.Cli;
import io.sparkformer.job.TestCorpus;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
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
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Corpora as tables and as compressed or large files, through the command line in Spark local mode:
 * a table's column prepares (and trains on) the same tokens as the text file of its rows, a gzip
 * corpus the same as its plain file, a file cut into pieces the same as the whole; bad tables are
 * one-line errors naming the table and the column, exit 2.
 */
class TableInputTest {
    @TempDir
    static Path dir;
    /** Non-blank lines of Tiny Shakespeare: CSV reads an empty field as null, which is skipped. */
    private static List<String> lines;
    private static String plainFile;

    @BeforeAll
    static void tables() throws IOException {
        TestCorpus.useLocalSpark();
        lines = Arrays.stream(TestCorpus.shakespeare(8000).split("\n")).filter(l -> !l.isBlank()).toList();
        plainFile = dir.resolve("lines.txt").toString();
        Files.writeString(Path.of(plainFile), String.join("\n", lines) + "\n");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("lines.txt.gz")))) {
            out.write(Files.readAllBytes(Path.of(plainFile)));
        }
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("body", DataTypes.StringType);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            rows.add(RowFactory.create(i, lines.get(i)));
        }
        SparkSession spark = SparkSession.builder().appName("tables").getOrCreate();
        try {
            Dataset<Row> table = spark.createDataFrame(rows, schema).coalesce(1);
            for (String format : List.of("parquet", "orc", "json")) {
                table.write().format(format).save(dir.resolve("lines." + format).toString());
            }
            table.write().option("header", "true").option("escape", "\"").csv(dir.resolve("lines.csv").toString());
            spark.createDataFrame(List.of(), schema).write().parquet(dir.resolve("empty.parquet").toString());
        } finally {
            spark.stop();
        }
    }

    @AfterAll
    static void clear() {
        TestCorpus.clearLocalSpark();
    }

    private static String table(String name) {
        return dir.resolve(name).toString();
    }

    /** The tokenizer and the whole token stream (train then validation) of a data directory. */
    private static Object[] tokens(String dataDir) throws IOException {
        DataManifest m = DataManifest.fromJson(Files.readString(Path.of(dataDir, DataManifest.FILE)), dataDir);
        HadoopConf conf = new HadoopConf(new Configuration());
        ShardedTokenSource train = ShardedTokenSource.train(dataDir, m, conf);
        ShardedTokenSource val = ShardedTokenSource.validation(dataDir, m, conf);
        int[] all = new int[(int) (train.size() + val.size())];
        train.read(0, all, 0, (int) train.size());
        val.read(0, all, (int) train.size(), (int) val.size());
        return new Object[] {Files.readString(Path.of(dataDir, "tokenizer.json")), all, m.shards().size()};
    }

    private static Object[] prepared(String name, String... args) throws IOException {
        String out = table("data-" + name);
        List<String> all = new ArrayList<>(List.of("prepare", "--set", "model.contextLength=8", "--out", out));
        all.addAll(List.of(args));
        Cli.Result r = Cli.run(all.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return tokens(out);
    }

    private static void assertSameTokens(Object[] expected, Object[] actual, String what) {
        assertEquals(expected[0], actual[0], what + ": the same tokenizer");
        assertArrayEquals((int[]) expected[1], (int[]) actual[1], what + ": the same token stream");
    }

    @Test
    void everyTableFormatPreparesTheTokensOfTheFileOfItsRows() throws IOException {
        Object[] plain = prepared("plain", "--corpus", plainFile);
        for (String format : List.of("parquet", "orc", "json", "csv")) {
            Object[] t = prepared(format, "--corpus", table("lines." + format), "--format", format,
                    "--text-column", "body");
            assertSameTokens(plain, t, format);
        }
    }

    @Test
    void gzipCorpusPreparesTheTokensOfItsPlainFile() throws IOException {
        assertSameTokens(prepared("plain-for-gz", "--corpus", plainFile),
                prepared("gz", "--corpus", table("lines.txt.gz")), "gzip");
    }

    @Test
    void aFileLargerThanTheSplitSizeIsPreparedInPiecesWithTheSameTokens() throws IOException {
        Object[] whole = prepared("whole", "--corpus", plainFile);
        assertEquals(1, whole[2]);
        System.setProperty("spark.hadoop." + TextSplits.MAX_SPLIT_KEY, "1000");
        try {
            Object[] pieces = prepared("pieces", "--corpus", plainFile);
            assertTrue((int) pieces[2] >= 6, pieces[2] + " shards from a ~7 KB file at 1000 bytes a split");
            assertSameTokens(whole, pieces, "pieces");
        } finally {
            System.clearProperty("spark.hadoop." + TextSplits.MAX_SPLIT_KEY);
        }
    }

    private static void trainsOn(String name, String... corpus) throws IOException {
        String run = table("run-" + name);
        List<String> args = new ArrayList<>(List.of("train", "--config", new File("../conf/gpt-tiny.conf").getAbsolutePath(),
                "--out", run, "--set", "train.steps=10", "--set", "train.evalEvery=5", "--set", "train.checkpointEvery=10",
                "--set", "train.warmupSteps=2", "--set", "train.batchSize=4", "--set", "spark.workers=2",
                "--set", "spark.averagingFrequency=5"));
        args.addAll(List.of(corpus));
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertEquals("step-000010", Files.readString(Path.of(run, "checkpoints/LATEST")).strip());
        assertTrue(Files.readString(Path.of(run, "metrics.jsonl")).contains("\"val_loss\""), "validation ran");
        Cli.Result plain = Cli.run("prepare", "--config", new File("../conf/gpt-tiny.conf").getAbsolutePath(),
                "--corpus", plainFile, "--out", table("data-tiny-" + name));
        assertEquals(0, plain.code(), plain.err());
        assertSameTokens(tokens(table("data-tiny-" + name)), tokens(run + "/data"), name);
    }

    @Test
    void trainsATinyGptFromAParquetColumn() throws IOException {
        trainsOn("parquet", "--corpus", table("lines.parquet"), "--format", "parquet", "--text-column", "body");
        String identity = Files.readString(Path.of(table("run-parquet"), "run.json"));
        assertTrue(identity.contains("parquet text=body"), "run.json records how the table is read: " + identity);
    }

    @Test
    void trainsATinyGptFromAGzipCorpus() throws IOException {
        trainsOn("gz", "--corpus", table("lines.txt.gz"));
    }

    private static void assertRejected(String message, String... args) {
        List<String> all = new ArrayList<>(List.of("prepare", "--set", "model.contextLength=8", "--out",
                table("rejected")));
        all.addAll(List.of(args));
        Cli.Result r = Cli.run(all.toArray(String[]::new));
        assertEquals(2, r.code(), "exit code for: " + r.err());
        String[] err = r.err().strip().split("\n");
        assertEquals(1, err.length, "one line: " + r.err());
        assertTrue(err[0].contains(message), "stderr names the problem: " + r.err());
        assertFalse(Files.exists(Path.of(table("rejected"))), "nothing is written");
    }

    @Test
    void aMissingColumnIsNamedWithTheTablesColumns() {
        assertRejected("error: table " + table("lines.parquet") + " has no column 'text' (columns: id, body)",
                "--corpus", table("lines.parquet"), "--format", "parquet");
    }

    @Test
    void aTextColumnThatIsNotStringsIsRejected() {
        assertRejected("error: table " + table("lines.orc") + " column 'id' holds int, expected string (text)",
                "--corpus", table("lines.orc"), "--format", "orc", "--text-column", "id");
    }

    @Test
    void anEmptyTableIsRejected() {
        assertRejected("error: table " + table("empty.parquet") + " is empty: no row has a value in column 'body'",
                "--corpus", table("empty.parquet"), "--format", "parquet", "--text-column", "body");
    }

    @Test
    void anUnknownFormatIsRejectedNamingTheTable() {
        assertRejected("error: unknown --format 'xlsx' for table " + table("lines.parquet")
                + " (expected parquet, orc, json, csv, text)", "--corpus", table("lines.parquet"), "--format", "xlsx");
    }

    @Test
    void aMissingTableIsRejected() {
        assertRejected("error: table " + table("absent") + " cannot be read as parquet: ",
                "--corpus", table("absent"), "--format", "parquet", "--text-column", "body");
    }

    @Test
    void columnOptionsWithoutATableFormatAreRejected() {
        assertRejected("error: the column options name columns of a table", "--corpus", plainFile,
                "--text-column", "body");
    }
}
