package io.sparkformer.api;

import io.sparkformer.InputException;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.decode.Generator;
import io.sparkformer.decode.GptLanguageModel;
import io.sparkformer.decode.SamplingConfig;
import io.sparkformer.decode.Seq2SeqTranslator;
import io.sparkformer.embed.SentenceEmbedder;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.model.seq2seq.Seq2SeqGraphBuilder;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.BpeTokenizer;
import io.sparkformer.tokenize.BpeTrainer;
import io.sparkformer.tokenize.CharTokenizer;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.tokenize.TranslationTokens;
import io.sparkformer.train.TranslationEvaluator;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's Java API example is the code of {@link ReadmeExample}, and it runs: on tiny seeded
 * checkpoints of the three families saved to disk, each pipeline answers what the decoding classes
 * the commands used before give for the same checkpoint (feature extraction: the classifier's encoder).
 */
class ReadmeExampleTest {
    private static final String TEXT = "ein Hund läuft . a dog runs . zwei Katzen schlafen . two cats sleep .\n";
    private static final List<String> TINY = List.of("model.layers=1", "model.heads=2", "model.embedDim=16",
            "model.ffnDim=32", "model.contextLength=16", "train.seed=3");

    @TempDir
    static Path dir;
    private static Checkpoint gpt;
    private static Checkpoint classifier;
    private static Checkpoint translator;
    private static Checkpoint maskedLm;

    private static SparkformerConfig config(String... more) {
        List<String> sets = new ArrayList<>(TINY);
        sets.addAll(List.of(more));
        return ConfigLoader.defaults(sets);
    }

    private static Tokenizer bpe(List<String> specials) {
        Map<String, Long> counts = new HashMap<>();
        BpeTokenizer.preTokenize(TEXT.repeat(3)).forEach(chunk -> counts.merge(chunk, 1L, Long::sum));
        return BpeTrainer.train(counts, 300, specials);
    }

    private static Checkpoint save(String name, SparkformerConfig config, Tokenizer tokenizer, ComputationGraph graph) {
        Checkpoint c = Checkpoint.of(TrainingState.initial(3), config, tokenizer, graph);
        new CheckpointStore(dir.resolve(name).toString(), new Configuration(), 1).save(c);
        return c;
    }

    @BeforeAll
    static void checkpoints() {
        Tokenizer chars = CharTokenizer.fit(TEXT + "ROMEO:");
        SparkformerConfig g = config();
        gpt = save("gpt", g, chars, GptGraphBuilder.build(g, chars.vocabSize(), DataType.FLOAT));
        Tokenizer bert = bpe(BertTokens.SPECIALS);
        SparkformerConfig b = config("model.family=bert", "tokenizer.type=bpe", "finetune.labels=[negative,positive]");
        classifier = save("classifier", b, bert, BertGraphBuilder.classifier(b, bert.vocabSize(), 2, DataType.FLOAT));
        maskedLm = save("masked-lm", b, bert, BertGraphBuilder.maskedLm(b, bert.vocabSize(), DataType.FLOAT));
        Tokenizer pairs = bpe(TranslationTokens.SPECIALS);
        SparkformerConfig s = config("model.family=seq2seq", "tokenizer.type=bpe");
        translator = save("translator", s, pairs, Seq2SeqGraphBuilder.build(s, pairs.vocabSize(), pairs.vocabSize(),
                DataType.FLOAT));
    }

    /** The README's fenced block after the {@code api-example} marker. */
    private static List<String> readmeSnippet() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("../README.md"));
        int marker = lines.indexOf("<!-- api-example -->");
        assertTrue(marker >= 0, "README.md has the <!-- api-example --> marker");
        assertEquals("```java", lines.get(marker + 1));
        int end = lines.subList(marker + 2, lines.size()).indexOf("```") + marker + 2;
        return lines.subList(marker + 2, end);
    }

    @Test
    void theReadmeExampleIsTheCompiledExample() throws IOException {
        List<String> source = Files.readAllLines(Path.of("src/test/java/io/sparkformer/api/ReadmeExample.java"));
        List<String> body = source.subList(source.indexOf("        // readme:start") + 1,
                source.indexOf("        // readme:end")).stream().map(l -> l.isEmpty() ? l : l.substring(8)).toList();
        List<String> snippet = readmeSnippet();
        List<String> imports = snippet.stream().filter(l -> l.startsWith("import ")).toList();
        for (String imp : imports) {
            String cls = imp.substring("import ".length(), imp.length() - 1);
            assertTrue(source.contains(imp) || cls.startsWith("io.sparkformer.api."), imp + " is what the example uses");
        }
        List<String> code = snippet.subList(imports.size(), snippet.size());
        assertEquals(body, code.get(0).isEmpty() ? code.subList(1, code.size()) : code);
    }

    @Test
    @SuppressWarnings("unchecked")
    void theReadmeExampleRunsAndAnswersWhatTheDecodersGive() {
        List<Object> out = ReadmeExample.run(dir.resolve("gpt").toString(), dir.resolve("classifier").toUri().toString(),
                dir.resolve("translator").toString(), dir.resolve("masked-lm").toString());

        Tokenizer chars = gpt.tokenizer();
        int[] greedy = new Generator(Generator.NONE, chars.encode("\n")[0]).generate(new GptLanguageModel(gpt.model()),
                chars.encode("ROMEO:"), SamplingConfig.greedy(40));
        assertEquals("ROMEO:" + chars.decode(greedy), out.get(0));

        TextClassification.Prediction p = (TextClassification.Prediction) out.get(1);
        assertEquals(List.of("negative", "positive"), List.copyOf(p.probabilities().keySet()));
        assertEquals(1.0, p.probabilities().values().stream().mapToDouble(Double::doubleValue).sum(), 1e-5);
        assertEquals(p.probabilities().values().stream().mapToDouble(Double::doubleValue).max().orElseThrow(), p.score());

        List<String> sentences = List.of("ein Hund läuft .", "zwei Katzen schlafen .");
        TranslationEvaluator direct = new TranslationEvaluator(translator.model(), translator.sourceTokenizer(),
                translator.tokenizer());
        assertEquals(direct.translate(sentences, new Seq2SeqTranslator.Options(1, 0.6, 16, 32)), out.get(2));

        float[] mean = SentenceEmbedder.of(classifier, "classifier").embed(List.of("a charming and moving film"),
                SentenceEmbedder.Pooling.MEAN)[0];
        assertArrayEquals(mean, (float[]) out.get(3));

        List<FillMask.Candidate> guesses = (List<FillMask.Candidate>) out.get(4);
        assertEquals(5, guesses.size());
        for (int k = 1; k < 5; k++) {
            assertTrue(guesses.get(k - 1).probability() >= guesses.get(k).probability(), "most probable first");
        }
        assertEquals(maskedLm.tokenizer().decode(new int[] {guesses.get(0).id()}), guesses.get(0).token());
    }

    @Test
    void aCheckpointOfAnotherFamilyIsAnInputErrorNamingWhatItHolds() {
        String uri = dir.resolve("gpt").toString();
        InputException e = assertThrows(InputException.class, () -> Pipelines.translation(uri));
        assertEquals("checkpoint " + uri + " holds a GPT (text generation) model, not a translation (seq2seq) model",
                e.getMessage());
        assertThrows(InputException.class, () -> Pipelines.textClassification(dir.resolve("translator").toString()));
        assertThrows(InputException.class, () -> Pipelines.textGeneration(dir.resolve("classifier").toString()));
    }
}
