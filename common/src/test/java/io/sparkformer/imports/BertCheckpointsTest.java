package io.sparkformer.imports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkformer.InputException;
import io.sparkformer.api.FillMask;
import io.sparkformer.api.Pipelines;
import io.sparkformer.api.TextClassification;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.testing.MiniLm;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.tokenize.WordPieceTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * BERT checkpoints of ours out to the Hugging Face layout and back. The models are post-LN BERTs
 * built and randomised here (not imported, so the export mapping is checked on its own), with
 * all-MiniLM-L6-v2's WordPiece vocabulary. The exported files are run by {@link BertReference} (a
 * plain double-precision BertModel written from Hugging Face's code) plus the heads as Hugging Face
 * computes them: its fill-mask and classifier probabilities must be ours; importing the export gives
 * back every parameter exactly.
 */
class BertCheckpointsTest {
    private static final Configuration CONF = new Configuration();
    private static final List<String> MASKED = List.of("the capital of france is [MASK].",
            "[MASK] quick brown fox jumps over the [MASK] dog", "a [MASK]");
    private static final List<String> TEXTS = List.of("a lovely, moving film", "dull and stale");
    private static WordPieceTokenizer tokenizer;

    @TempDir
    static Path dir;

    @BeforeAll
    static void load() {
        tokenizer = (WordPieceTokenizer) Tokenizer.fromJson(MiniLm.tokenizerJson());
    }

    /** A post-LN, erf-GELU BERT with token types, every parameter moved off its initial value. */
    private static Checkpoint randomBert(boolean classifier, String... settings) {
        List<String> keys = new ArrayList<>(List.of("model.family=bert", "tokenizer.type=wordpiece",
                "tokenizer.vocabSize=" + tokenizer.vocabSize(), "model.layers=2", "model.heads=2", "model.embedDim=16",
                "model.ffnDim=24", "model.contextLength=16", "model.norm=post", "model.activation=gelu_erf",
                "model.typeVocabSize=2", "model.layerNormEpsilon=1e-12", "finetune.labels=[neg, pos]", "train.seed=5"));
        keys.addAll(List.of(settings));
        SparkformerConfig config = ConfigLoader.defaults(keys);
        ComputationGraph graph = classifier
                ? BertGraphBuilder.classifier(config, tokenizer.vocabSize(), 2, DataType.FLOAT)
                : BertGraphBuilder.maskedLm(config, tokenizer.vocabSize(), DataType.FLOAT);
        Nd4j.getRandom().setSeed(11);
        for (INDArray p : graph.getLayer(BertGraphBuilder.LAYER).paramTable().values()) {
            p.addi(Nd4j.randn(DataType.FLOAT, p.shape()).muli(0.1));
        }
        return Checkpoint.of(TrainingState.initial(5), config, tokenizer, graph);
    }

    private static String save(Checkpoint c, String name) {
        String uri = dir.resolve(name).toString();
        new CheckpointStore(uri, CONF, 1).save(c);
        return uri;
    }

    /** Exports through the Hugging Face writer and reads the files back with the reader. */
    private static HfBert exported(Checkpoint c, boolean encoderOnly, String name) {
        HfBertWriter.write(BertCheckpoints.toHf(c, encoderOnly, name), dir.resolve(name).toString(), CONF, false);
        return HfBertReader.read(dir.resolve(name).toString(), CONF);
    }

    @Test
    void anExportedMaskedLmFillsMasksAsHuggingFacesComputationOnItsFiles() {
        Checkpoint mlm = randomBert(false);
        List<List<List<FillMask.Candidate>>> ours = Pipelines.fillMask(save(mlm, "mlm-run")).fill(MASKED, 5);
        HfBert hf = exported(mlm, false, "mlm-hf");
        assertEquals(HfBertConfig.MASKED_LM, hf.modelClass());
        BertReference reference = new BertReference(hf.encoder());
        double worst = 0;
        for (int s = 0; s < MASKED.size(); s++) {
            int[] ids = tokenizer.encodeSentence(MASKED.get(s)).ids();
            double[][] logits = reference.maskedLmLogits(reference.lastHiddenState(ids, new int[ids.length],
                    ones(ids.length)), hf.maskedLm());
            List<Integer> masks = IntStream.range(0, ids.length).filter(i -> ids[i] == 103).boxed().toList();
            assertEquals(masks.size(), ours.get(s).size(), MASKED.get(s));
            for (int m = 0; m < masks.size(); m++) {
                double[] p = softmax(logits[masks.get(m)]);
                List<Integer> top = IntStream.range(0, p.length).boxed()
                        .sorted(Comparator.comparingDouble((Integer v) -> -p[v])).limit(5).toList();
                List<FillMask.Candidate> candidates = ours.get(s).get(m);
                for (int k = 0; k < 5; k++) {
                    assertEquals(top.get(k), candidates.get(k).id(), MASKED.get(s) + " mask " + m + " rank " + k);
                    assertEquals(tokenizer.decode(new int[] {top.get(k)}), candidates.get(k).token());
                    worst = Math.max(worst, Math.abs(p[top.get(k)] - candidates.get(k).probability()));
                }
            }
        }
        System.out.printf("fill-mask vs BertReference on the exported BertForMaskedLM: max abs probability diff %.3g%n",
                worst);
        assertTrue(worst <= 1e-5, "probabilities differ by " + worst);
    }

    @Test
    void anExportedClassifierClassifiesAsHuggingFacesComputationOnItsFiles() {
        Checkpoint classifier = randomBert(true);
        List<TextClassification.Prediction> ours = Pipelines.textClassification(save(classifier, "cls-run"))
                .classify(TEXTS);
        HfBert hf = exported(classifier, false, "cls-hf");
        assertEquals(HfBertConfig.CLASSIFIER, hf.modelClass());
        assertEquals(List.of("neg", "pos"), hf.classifier().labels());
        BertReference reference = new BertReference(hf.encoder());
        for (int s = 0; s < TEXTS.size(); s++) {
            int[] ids = tokenizer.encodeSentence(TEXTS.get(s)).ids();
            double[] p = softmax(reference.classifierLogits(reference.lastHiddenState(ids, new int[ids.length],
                    ones(ids.length)), hf.classifier()));
            assertEquals(p[1], ours.get(s).probabilities().get("pos"), 1e-5, TEXTS.get(s));
        }
    }

    /** Import of an export: every parameter exactly as it was, for both heads. */
    @Test
    void importingTheExportGivesBackEveryParameter() {
        for (boolean classifier : new boolean[] {false, true}) {
            Checkpoint original = randomBert(classifier);
            String name = classifier ? "again-cls" : "again-mlm";
            exported(original, false, name);
            Checkpoint again = BertCheckpoints.fromHf(BertImport.read(dir.resolve(name).toString(), null, 0, CONF),
                    "", "test", List.of());
            Map<String, INDArray> before = original.model().getLayer(BertGraphBuilder.LAYER).paramTable();
            Map<String, INDArray> after = again.model().getLayer(BertGraphBuilder.LAYER).paramTable();
            assertEquals(before.keySet(), after.keySet());
            before.forEach((key, value) -> assertEquals(value, after.get(key), key));
        }
    }

    @Test
    void anEncoderGoesOutAsBertModelWithTheClassifiersPooler() {
        HfBert encoder = exported(randomBert(true), true, "encoder-hf");
        assertEquals(HfBertConfig.ENCODER, encoder.modelClass());
        assertTrue(encoder.encoder().tensors().containsKey(BertWeights.POOLER_WEIGHT));
    }

    @Test
    void whatBertCannotComputeIsRefusedInOneLine() {
        InputException preNorm = assertThrows(InputException.class,
                () -> BertCheckpoints.toHf(randomBert(false, "model.norm=pre"), false, "run"));
        assertEquals("checkpoint run cannot be exported as a Hugging Face BERT: model.norm = pre (Hugging Face's BERT"
                + " is post-LayerNorm; import a BERT or train with model.norm = post)", preNorm.getMessage());
        InputException mean = assertThrows(InputException.class,
                () -> BertCheckpoints.toHf(randomBert(true, "finetune.pooling=mean"), false, "run"));
        assertEquals("checkpoint run cannot be exported as a Hugging Face BERT: finetune.pooling = mean"
                + " (BertForSequenceClassification pools [CLS]; --encoder writes the encoder alone)", mean.getMessage());
        BertCheckpoints.toHf(randomBert(true, "finetune.pooling=mean"), true, "run");   // the encoder alone is fine
    }

    @Test
    void aTextWithoutMaskIsNamed() {
        FillMask fillMask = Pipelines.fillMask(save(randomBert(false), "no-mask"));
        assertEquals("text 2 has no [MASK]: no mask here", assertThrows(InputException.class,
                () -> fillMask.fill(List.of("a [MASK]", "no mask here"), 3)).getMessage());
        assertEquals(3, fillMask.fill("[MASK] [MASK] [MASK]", 1).size(), "one answer per [MASK]");
    }

    private static int[] ones(int n) {
        int[] m = new int[n];
        java.util.Arrays.fill(m, 1);
        return m;
    }

    private static double[] softmax(double[] logits) {
        double max = java.util.Arrays.stream(logits).max().orElse(0);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
