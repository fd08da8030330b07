package io.sparkformer.job.infer;

import io.sparkformer.api.FeatureExtraction;
import io.sparkformer.api.Pipelines;
import io.sparkformer.api.TextClassification;
import io.sparkformer.api.TextGeneration;
import io.sparkformer.decode.SamplingConfig;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code classify}, {@code embed}, {@code translate} and {@code generate} over tables in Spark
 * {@code local[2]}: each output row holds its input row's columns and what the same pipeline answers
 * on the driver for its text; bad tables are one-line errors (exit 2).
 */
class TableInferenceTest {
    private static final int ROWS = 3000;
    private static final int BLANK = 7;           // a row whose text is blank: its results are null
    private static final int NULL = 1500;         // and one whose text is null

    @TempDir
    static Path dir;
    private static String classifier;
    private static String translator;
    private static String gpt;
    private static List<String> texts;
    private static List<String> sources;

    @BeforeAll
    static void tables() {
        TestCorpus.useLocalSpark();
        classifier = InferenceCheckpoints.classifier(dir);
        translator = InferenceCheckpoints.translator(dir);
        gpt = InferenceCheckpoints.gpt(dir);
        texts = new ArrayList<>(InferenceCheckpoints.sentences(ROWS, 7));
        texts.set(BLANK, "  ");
        texts.set(NULL, null);
        sources = InferenceCheckpoints.sentences(2000, 11);
        withSpark(spark -> {
            StructType reviews = new StructType().add("body", DataTypes.StringType).add("gold", DataTypes.StringType)
                    .add("n", DataTypes.IntegerType);
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < ROWS; i++) {
                rows.add(RowFactory.create(texts.get(i), i % 2 == 0 ? "positive" : "negative", i));
            }
            // One file, so one partition: the job spreads it over both task slots and keeps its order.
            spark.createDataFrame(rows, reviews).coalesce(1).write().parquet(table("reviews"));
            spark.createDataFrame(List.of(), reviews).write().parquet(table("empty"));
            StructType pairs = new StructType().add("sid", DataTypes.LongType).add("de", DataTypes.StringType);
            List<Row> sentences = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                sentences.add(RowFactory.create(1000L + i, sources.get(i)));
            }
            spark.createDataFrame(sentences, pairs).repartition(3).write().parquet(table("pairs"));
            StructType prompts = new StructType().add("text", DataTypes.StringType);
            spark.createDataFrame(texts.subList(20, 40).stream().map(t -> RowFactory.create(t)).toList(), prompts)
                    .coalesce(1).write().json(table("prompts"));
            StructType clash = new StructType().add("body", DataTypes.StringType).add("embedding", DataTypes.StringType);
            spark.createDataFrame(List.of(RowFactory.create("a film", "x")), clash).write().parquet(table("clash"));
            return null;
        });
    }

    @AfterAll
    static void clear() {
        TestCorpus.clearLocalSpark();
    }

    private static String table(String name) {
        return dir.resolve(name).toString();
    }

    private static <T> T withSpark(Function<SparkSession, T> f) {
        SparkSession spark = SparkSession.builder().appName("table-inference-test").getOrCreate();
        try {
            return f.apply(spark);
        } finally {
            spark.stop();
        }
    }

    /** The output table's rows ordered by {@code id}. */
    private static List<Row> output(String name, String id) {
        return withSpark(spark -> spark.read().parquet(table(name)).orderBy(col(id)).collectAsList());
    }

    private static Cli.Result run(String... args) {
        Cli.Result r = Cli.run(args);
        assertEquals(0, r.code(), r.err());
        return r;
    }

    private static List<String> nonBlank(List<String> all) {
        return all.stream().filter(t -> t != null && !t.isBlank()).toList();
    }

    @Test
    void classifyingAParquetTableGivesTheDriversPredictionsRowForRowInInputOrder() {
        run("classify", "--checkpoint", classifier, "--input", table("reviews"), "--format", "parquet",
                "--text-column", "body", "--output", table("classified"));

        TextClassification driver = Pipelines.textClassification(classifier);
        List<TextClassification.Prediction> expected = driver.classify(nonBlank(texts));
        List<Row> rows = output("classified", "row");
        assertEquals(ROWS, rows.size());
        assertEquals(List.of("body", "gold", "n", "row", "predicted_label", "probabilities"),
                List.of(rows.get(0).schema().fieldNames()));
        int k = 0;
        for (int i = 0; i < ROWS; i++) {
            Row r = rows.get(i);
            assertEquals(i, r.getLong(3));
            assertEquals(texts.get(i), r.getString(0));
            assertEquals(i, r.getInt(2));
            if (i == BLANK || i == NULL) {
                assertTrue(r.isNullAt(4) && r.isNullAt(5), "row " + i + " has no text and no results");
                continue;
            }
            TextClassification.Prediction p = expected.get(k++);
            Map<String, Double> probabilities = r.getJavaMap(5);
            assertEquals(List.copyOf(p.probabilities().keySet()), List.copyOf(probabilities.keySet()));
            for (String label : driver.labels()) {
                assertEquals(p.probabilities().get(label), probabilities.get(label), 1e-5, "row " + i + " " + label);
            }
            assertEquals(p.label(), r.getString(4), "row " + i);
        }
        assertEquals(expected.size(), k);
        // Two task slots: the driver's copy and at most one more, not one per task.
        assertTrue(PipelinePool.loads(TableInference.poolKey(Predictors.classification(), classifier)) <= 2);

        Cli.Result again = Cli.run("classify", "--checkpoint", classifier, "--input", table("reviews"), "--format",
                "parquet", "--text-column", "body", "--output", table("classified"));
        assertEquals(2, again.code());
        assertEquals("sparkformer classify: error: output table " + table("classified")
                + " already exists (--overwrite replaces it)", again.err().strip());
    }

    @Test
    void embeddingAParquetTableGivesTheDriversMeanPooledVectorsAsFloatArrays() {
        run("embed", "--checkpoint", classifier, "--input", table("reviews"), "--format", "parquet",
                "--text-column", "body", "--output", table("embedded"));

        List<float[]> expected = Pipelines.featureExtraction(classifier).embed(nonBlank(texts));
        List<Row> rows = output("embedded", "row");
        assertEquals(ROWS, rows.size());
        // Spark writes every column of a file table as nullable (containsNull too), whatever the frame said.
        assertEquals(DataTypes.createArrayType(DataTypes.FloatType, true), rows.get(0).schema().apply("embedding")
                .dataType());
        int k = 0;
        for (int i = 0; i < ROWS; i++) {
            if (i == BLANK || i == NULL) {
                assertTrue(rows.get(i).isNullAt(4));
                continue;
            }
            List<Float> vector = rows.get(i).getList(4);
            float[] actual = new float[vector.size()];
            for (int c = 0; c < actual.length; c++) {
                actual[c] = vector.get(c);
            }
            assertArrayEquals(expected.get(k++), actual, 1e-5f, "row " + i);
        }
    }

    @Test
    void translatingATableKeepsItsIdColumnAndGivesTheDriversTranslations() {
        run("translate", "--checkpoint", translator, "--input", table("pairs"), "--format", "parquet",
                "--source-column", "de", "--id-column", "sid", "--output", table("translated"));

        List<String> expected = Pipelines.translation(translator).translate(sources);
        List<Row> rows = output("translated", "sid");
        assertEquals(List.of("sid", "de", "translation"), List.of(rows.get(0).schema().fieldNames()));
        assertEquals(2000, rows.size());
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(1000L + i, rows.get(i).getLong(0));
            assertEquals(sources.get(i), rows.get(i).getString(1));
            assertEquals(expected.get(i), rows.get(i).getString(2), "row " + i);
        }
    }

    @Test
    void generatingFromAJsonTableOfPromptsGivesTheDriversContinuations() {
        run("generate", "--checkpoint", gpt, "--input", table("prompts"), "--format", "json", "--temperature", "0",
                "--max-tokens", "6", "--output", table("generated"));

        TextGeneration driver = Pipelines.textGeneration(gpt);
        List<Row> rows = output("generated", "row");
        assertEquals(20, rows.size());
        for (int i = 0; i < rows.size(); i++) {
            String prompt = texts.get(20 + i);
            assertEquals(prompt, rows.get(i).getString(0));
            assertEquals(driver.generate(prompt, SamplingConfig.greedy(6)), prompt + rows.get(i).getString(2));
        }
    }

    private static void assertBadInput(String expected, String... args) {
        Cli.Result r = Cli.run(args);
        assertEquals(2, r.code(), r.err());
        assertEquals(expected, r.err().strip());
    }

    @Test
    void badTablesAreOneLineErrorsNamingTheTableAndColumn() {
        String reviews = table("reviews");
        assertBadInput("sparkformer classify: error: table " + reviews + " has no column 'text' (columns: body, gold, n)",
                "classify", "--checkpoint", classifier, "--input", reviews, "--format", "parquet", "--output",
                table("out1"));
        assertBadInput("sparkformer embed: error: table " + reviews + " column 'n' holds int, expected string (text)",
                "embed", "--checkpoint", classifier, "--input", reviews, "--format", "parquet", "--text-column", "n",
                "--output", table("out2"));
        assertBadInput("sparkformer classify: error: table " + table("empty")
                        + " is empty: no row has a value in column 'body'", "classify", "--checkpoint", classifier,
                "--input", table("empty"), "--format", "parquet", "--text-column", "body", "--output", table("out3"));
        assertBadInput("sparkformer embed: error: table " + table("clash")
                        + " already has a column 'embedding', which the results are written to", "embed", "--checkpoint",
                classifier, "--input", table("clash"), "--format", "parquet", "--text-column", "body", "--output",
                table("out4"));
        assertBadInput("sparkformer classify: error: checkpoint " + translator + " holds a translation (seq2seq) model,"
                        + " not a text classifier (fine-tuned BERT)", "classify", "--checkpoint", translator, "--input",
                reviews, "--format", "parquet", "--text-column", "body", "--output", table("out5"));
        assertBadInput("sparkformer classify: error: --input " + reviews + " is read as a table: give --format parquet,"
                + " orc, json or csv", "classify", "--checkpoint", classifier, "--input", reviews, "--output",
                table("out6"));
        for (int i = 1; i <= 6; i++) {
            assertFalse(Files.exists(dir.resolve("out" + i)), "out" + i);
        }
    }
}
