package io.sparkformer.job.finetune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.job.Cli;
import io.sparkformer.model.bert.BertGraphBuilder;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The BERT workflow as a user runs it, in Spark local mode on a tiny synthetic sentiment set:
 * masked-LM pretraining with {@code train}, {@code finetune} from its checkpoint, {@code evaluate}
 * and {@code classify} on the result; and the one-line errors for bad labeled input.
 */
class BertFinetuneEndToEndTest {
    private static final String[] POSITIVE = {"great", "fun", "moving", "brilliant", "charming", "lovely", "smart"};
    private static final String[] NEGATIVE = {"dull", "bad", "boring", "awful", "tedious", "messy", "stale"};
    private static final String[] NEUTRAL = {"the", "film", "movie", "story", "was", "is", "and", "a", "plot",
            "acting", "really", "quite", "this", "its"};

    @TempDir
    static Path dir;
    private static Path pretrained;

    @BeforeAll
    static void pretrain() throws Exception {
        System.setProperty("spark.master", "local[2]");
        System.setProperty("spark.ui.enabled", "false");
        Random random = new Random(11);
        List<String> train = table(random, 480);
        Files.write(dir.resolve("train.tsv"), train);
        Files.write(dir.resolve("dev.tsv"), table(random, 80));
        Files.writeString(dir.resolve("text.txt"), String.join("\n", train.subList(1, train.size()))
                .replaceAll("\t[01]", ""));
        pretrained = dir.resolve("pretrained");
        Cli.Result r = Cli.run("train", "--config", conf("bert-tiny.conf"), "--corpus", dir.resolve("text.txt").toString(),
                "--out", pretrained.toString(), "--set", "spark.workers=2", "--set", "train.batchSize=4");
        assertEquals(0, r.code(), "pretraining failed: " + r.err());
    }

    @AfterAll
    static void clear() {
        System.clearProperty("spark.master");
    }

    /** sentence<TAB>label rows: neutral filler plus sentiment words of the row's polarity. */
    private static List<String> table(Random random, int rows) {
        List<String> out = new ArrayList<>(List.of("sentence\tlabel"));
        for (int i = 0; i < rows; i++) {
            boolean positive = random.nextBoolean();
            String[] sentiment = positive ? POSITIVE : NEGATIVE;
            List<String> words = new ArrayList<>();
            for (int w = 3 + random.nextInt(6); w > 0; w--) {
                words.add(NEUTRAL[random.nextInt(NEUTRAL.length)]);
            }
            for (int s = 1 + random.nextInt(2); s > 0; s--) {
                words.add(random.nextInt(words.size() + 1), sentiment[random.nextInt(sentiment.length)]);
            }
            out.add(String.join(" ", words) + " \t" + (positive ? 1 : 0));
        }
        return out;
    }

    static String conf(String name) {
        return new File("../conf/" + name).getAbsolutePath();
    }

    private static List<JsonNode> metrics(Path run) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            lines.add(new ObjectMapper().readTree(line));
        }
        return lines;
    }

    private static Cli.Result finetune(String train, String dev, String out, String... more) {
        List<String> args = new ArrayList<>(List.of("finetune", "--checkpoint", pretrained.toString(), "--train", train,
                "--validation", dev, "--out", dir.resolve(out).toString(), "--set", "train.steps=60",
                "--set", "train.batchSize=16", "--set", "train.evalEvery=20", "--set", "train.warmupSteps=5",
                "--set", "train.learningRate=3e-3", "--set", "spark.averagingFrequency=5"));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void pretrainsFineTunesEvaluatesAndClassifies() throws Exception {
        List<JsonNode> pre = metrics(pretrained);
        assertTrue(pre.stream().anyMatch(n -> n.has("val_loss")), "masked-LM validation loss is measured");
        assertTrue(Files.exists(pretrained.resolve("checkpoints/step-000040/model.zip")));
        Cli.Result masked = Cli.run("evaluate", "--checkpoint", pretrained.toString(), "--corpus",
                dir.resolve("text.txt").toString());
        assertEquals(0, masked.code(), masked.err());
        JsonNode mlm = new ObjectMapper().readTree(masked.out());
        assertTrue(mlm.get("loss").asDouble() < Math.log(320), "masked tokens better than uniform: " + mlm);
        assertTrue(mlm.get("tokens").asLong() > 0);

        Cli.Result r = finetune(dir.resolve("train.tsv").toString(), dir.resolve("dev.tsv").toString(), "ft",
                "--set", "spark.workers=2", "--set", "train.batchSize=8");
        assertEquals(0, r.code(), "finetune failed: " + r.err());
        Path run = dir.resolve("ft");
        List<JsonNode> lines = metrics(run);
        List<Double> accuracy = lines.stream().filter(n -> n.has("val_accuracy"))
                .map(n -> n.get("val_accuracy").asDouble()).toList();
        double best = accuracy.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        assertTrue(best >= 0.9, "a separable task is learned: " + accuracy);
        String latest = Files.readString(run.resolve("checkpoints/LATEST")).trim();
        long bestStep = lines.stream().filter(n -> n.has("val_accuracy") && n.get("val_accuracy").asDouble() == best)
                .findFirst().orElseThrow().get("step").asLong();
        assertEquals(String.format("step-%06d", bestStep), latest, "LATEST is the best checkpoint");

        Cli.Result evaluated = Cli.run("evaluate", "--checkpoint", run.toString(), "--corpus",
                dir.resolve("dev.tsv").toString());
        assertEquals(0, evaluated.code(), evaluated.err());
        JsonNode m = new ObjectMapper().readTree(evaluated.out());
        assertEquals(best, m.get("accuracy").asDouble(), 1e-9, "evaluate agrees with the run's best validation");
        assertEquals(80, m.get("examples").asLong());
        JsonNode matrix = m.at("/confusion/matrix");
        assertEquals(80, matrix.get(0).get(0).asLong() + matrix.get(0).get(1).asLong() + matrix.get(1).get(0).asLong()
                + matrix.get(1).get(1).asLong());
        for (String key : List.of("/loss", "/macro/precision", "/macro/recall", "/macro/f1", "/classes/0/f1",
                "/classes/1/precision", "/classes/1/recall")) {
            assertTrue(m.at(key).isNumber(), key + " in " + m);
        }

        Cli.Result classified = Cli.run("classify", "--checkpoint", run.toString(), "the film was brilliant and lovely",
                "a dull and tedious plot");
        assertEquals(0, classified.code(), classified.err());
        String[] out = classified.out().strip().split("\n");
        JsonNode first = new ObjectMapper().readTree(out[0]);
        assertEquals("1", first.get("label").asText());
        assertEquals(1.0, first.get("probabilities").get("0").asDouble() + first.get("probabilities").get("1").asDouble(),
                1e-5);
        assertEquals("0", new ObjectMapper().readTree(out[1]).get("label").asText());
    }

    @Test
    void embedWritesOneJsonLinePerTextFromThePretrainedCheckpoint() throws Exception {
        String[] texts = {"the film was brilliant and lovely", "a dull and tedious plot", "the film was brilliant and lovely"};
        Cli.Result mean = Cli.run(concat(new String[] {"embed", "--checkpoint", pretrained.toString()}, texts));
        assertEquals(0, mean.code(), mean.err());
        String[] lines = mean.out().strip().split("\n");
        assertEquals(3, lines.length);
        ObjectMapper json = new ObjectMapper();
        double[][] vectors = new double[3][];
        for (int i = 0; i < 3; i++) {
            JsonNode line = json.readTree(lines[i]);
            assertEquals(texts[i], line.get("text").asText());
            assertEquals(32, line.get("embedding").size(), "bert-tiny's embedDim");
            vectors[i] = new double[32];
            for (int c = 0; c < 32; c++) {
                vectors[i][c] = line.get("embedding").get(c).asDouble();
                assertTrue(Double.isFinite(vectors[i][c]));
            }
        }
        assertArrayEquals(vectors[0], vectors[2], 1e-6, "the same text, the same embedding (up to float rounding across batch rows)");
        assertTrue(!java.util.Arrays.equals(vectors[0], vectors[1]), "different texts, different embeddings");

        Cli.Result cls = Cli.run("embed", "--checkpoint", pretrained.toString(), "--pooling", "cls", texts[0]);
        assertEquals(0, cls.code(), cls.err());
        JsonNode first = json.readTree(cls.out().strip());
        double[] clsVector = new double[32];
        for (int c = 0; c < 32; c++) {
            clsVector[c] = first.get("embedding").get(c).asDouble();
        }
        assertTrue(!java.util.Arrays.equals(vectors[0], clsVector), "CLS pooling is not the mean");

        Cli.Result bad = Cli.run("embed", "--checkpoint", pretrained.toString(), "--pooling", "max", texts[0]);
        assertEquals(2, bad.code());
        assertTrue(bad.err().strip().endsWith("sparkformer embed: error: --pooling max is not mean or cls"), bad.err());
    }

    /**
     * {@code fill-mask} on the BERT pretrained here (bert-tiny, byte-level BPE): one JSON line per
     * text with K candidates per [MASK], most probable first; and what pretraining learned shows:
     * over single-token words of the training text masked one at a time, the true token's mean log
     * probability beats the uniform guess ln(1/V). Export of this pre-LN BERT is refused in one line.
     */
    @Test
    void fillMaskPredictsTheMaskedWordsOfThePretrainedModel() throws Exception {
        Cli.Result r = Cli.run("fill-mask", "--checkpoint", pretrained.toString(), "--top-k", "3",
                "the film was [MASK] and lovely", "a [MASK] plot [MASK]");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length);
        JsonNode second = new ObjectMapper().readTree(lines[1]);
        assertEquals("a [MASK] plot [MASK]", second.get("text").asText());
        assertEquals(2, second.get("masks").size());
        for (JsonNode mask : second.get("masks")) {
            assertEquals(3, mask.size());
            assertTrue(mask.get(0).get("probability").asDouble() >= mask.get(1).get("probability").asDouble());
            assertTrue(mask.get(1).get("probability").asDouble() >= mask.get(2).get("probability").asDouble());
        }

        io.sparkformer.checkpoint.Checkpoint c = CheckpointStore.open(pretrained.toString(), new Configuration());
        io.sparkformer.tokenize.Tokenizer tokenizer = c.tokenizer();
        int vocab = tokenizer.vocabSize();
        io.sparkformer.api.FillMask fillMask = io.sparkformer.api.Pipelines.fillMask(pretrained.toString());
        List<String> train = Files.readAllLines(dir.resolve("text.txt"));
        double logProbability = 0;
        int masks = 0;
        for (String line : train.subList(0, 40)) {
            int[] ids = tokenizer.encode(line.strip());
            for (int i = 1; i + 1 < ids.length && i < 24 && masks < 200; i++) {
                String word = tokenizer.decode(new int[] {ids[i]});
                // a whole word of one token: starts with a space, and so does the next token
                if (!word.startsWith(" ") || !tokenizer.decode(new int[] {ids[i + 1]}).startsWith(" ")) {
                    continue;
                }
                String text = tokenizer.decode(java.util.Arrays.copyOfRange(ids, 0, i)) + " [MASK]"
                        + tokenizer.decode(java.util.Arrays.copyOfRange(ids, i + 1, ids.length));
                int truth = ids[i];
                double p = fillMask.fill(text, vocab).get(0).stream().filter(k -> k.id() == truth).findFirst()
                        .orElseThrow().probability();
                logProbability += Math.log(p);
                masks++;
            }
        }
        double mean = logProbability / masks;
        System.out.printf("bert-tiny fill-mask: %d single-token words masked, mean log p(true) %.3f, uniform %.3f%n",
                masks, mean, -Math.log(vocab));
        assertTrue(masks >= 20, "enough masked words: " + masks);
        assertTrue(mean > -Math.log(vocab), "better than uniform: " + mean);

        Cli.Result export = Cli.run("export", "--checkpoint", pretrained.toString(), "--out",
                dir.resolve("pre-ln-hf").toString());
        assertEquals(2, export.code());
        assertTrue(export.err().strip().endsWith("cannot be exported as a Hugging Face BERT: model.norm = pre (Hugging"
                + " Face's BERT is post-LayerNorm; import a BERT or train with model.norm = post)"), export.err());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void aRerunOfTheSameFinetuneResumesFromItsBestCheckpointAndReproducesTheRun() throws Exception {
        // Every improvement's checkpoint is kept, so step 10 (the first evaluation, always an improvement)
        // is still there however many improvements follow: bert-tiny keeps only the newest 2. The head's own
        // learning rate gives the updater two blocks: their averaged Adam state is checkpointed and resumed too.
        String[] more = {"--set", "spark.workers=2", "--set", "train.batchSize=8", "--set", "train.evalEvery=10",
                "--set", "finetune.patience=6", "--set", "train.keepCheckpoints=100",
                "--set", "finetune.headLearningRateFactor=3"};
        assertEquals(0, finetune(dir.resolve("train.tsv").toString(), dir.resolve("dev.tsv").toString(), "ft-rerun",
                more).code());
        Path run = dir.resolve("ft-rerun");
        List<JsonNode> undisturbed = metrics(run);
        String latest = Files.readString(run.resolve("checkpoints/LATEST")).strip();

        // What a driver killed after step 10 leaves: only the first evaluation's (best-so-far) checkpoint.
        try (var files = Files.list(run.resolve("checkpoints"))) {
            for (Path p : files.filter(p -> p.getFileName().toString().startsWith("step-")
                    && !p.getFileName().toString().equals("step-000010")).toList()) {
                org.apache.commons.io.FileUtils.deleteDirectory(p.toFile());
            }
        }
        Files.writeString(run.resolve("checkpoints/LATEST"), "step-000010\n");

        Cli.Result rerun = finetune(dir.resolve("train.tsv").toString(), dir.resolve("dev.tsv").toString(), "ft-rerun",
                more);   // the same command: no flag
        assertEquals(0, rerun.code(), rerun.err());
        List<JsonNode> replayed = metrics(run);
        assertEquals(undisturbed.stream().map(n -> n.get("step").asLong()).toList(),
                replayed.stream().map(n -> n.get("step").asLong()).toList());
        for (int i = 0; i < undisturbed.size(); i++) {
            assertEquals(undisturbed.get(i).get("train_loss").asDouble(), replayed.get(i).get("train_loss").asDouble(),
                    1e-5, "train loss at step " + undisturbed.get(i).get("step"));
            assertEquals(undisturbed.get(i).path("val_accuracy").asDouble(),
                    replayed.get(i).path("val_accuracy").asDouble(), 1e-9);
        }
        assertEquals(latest, Files.readString(run.resolve("checkpoints/LATEST")).strip(), "the same best checkpoint");
    }

    /** The token embedding of the best checkpoint in a run directory (or of a pretraining run's latest). */
    private static INDArray tokenEmbedding(Path run) {
        return CheckpointStore.open(run.toString(), new Configuration()).model().getLayer(BertGraphBuilder.LAYER)
                .getParam("wte").dup();
    }

    @Test
    void finetuneStartsFromTheCheckpointsEncoderAndFromScratchDoesNot() {
        // A learning rate too small to move anything: the weights after training are the starting weights.
        String[] frozen = {"--set", "train.steps=5", "--set", "train.evalEvery=5", "--set", "train.warmupSteps=1", "--set", "train.learningRate=1e-9",
                "--set", "train.minLearningRate=1e-9"};
        // The checkpoint as a file:// URI: any Hadoop file system URI is accepted.
        List<String> args = new ArrayList<>(List.of("finetune", "--checkpoint", pretrained.toUri().toString(),
                "--train", dir.resolve("train.tsv").toString(), "--validation", dir.resolve("dev.tsv").toString()));
        args.addAll(List.of(frozen));
        List<String> scratchArgs = new ArrayList<>(args);
        args.addAll(List.of("--out", dir.resolve("frozen").toString()));
        scratchArgs.addAll(List.of("--from-scratch", "--out", dir.resolve("frozen-scratch").toString()));
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        Cli.Result s = Cli.run(scratchArgs.toArray(String[]::new));
        assertEquals(0, s.code(), s.err());

        INDArray pretrainedWte = tokenEmbedding(pretrained);
        assertTrue(tokenEmbedding(dir.resolve("frozen")).equalsWithEps(pretrainedWte, 1e-6),
                "fine-tuning starts from the pretrained token embedding");
        INDArray scratchWte = tokenEmbedding(dir.resolve("frozen-scratch"));
        assertArrayEquals(pretrainedWte.shape(), scratchWte.shape(), "from scratch keeps the architecture");
        double distance = scratchWte.distance2(pretrainedWte) / pretrainedWte.norm2Number().doubleValue();
        assertTrue(distance > 0.5, "from scratch starts from a fresh initialisation: relative distance " + distance);
    }

    @Test
    void earlyStoppingEndsTheRunAfterPatienceEvaluationsWithoutAGainAndKeepsTheBest() throws Exception {
        // The synthetic task is learned within a few evaluations; afterwards accuracy cannot keep rising.
        Cli.Result r = finetune(dir.resolve("train.tsv").toString(), dir.resolve("dev.tsv").toString(), "patience",
                "--set", "train.steps=400", "--set", "train.evalEvery=10", "--set", "finetune.patience=2");
        assertEquals(0, r.code(), "finetune failed: " + r.err());
        Path run = dir.resolve("patience");
        List<JsonNode> evaluations = metrics(run).stream().filter(n -> n.has("val_accuracy")).toList();
        long last = evaluations.get(evaluations.size() - 1).get("step").asLong();
        assertTrue(last < 400, "stopped early, at step " + last);
        double best = Double.NEGATIVE_INFINITY;
        long bestStep = -1;
        int stale = 0;
        for (JsonNode e : evaluations) {
            double accuracy = e.get("val_accuracy").asDouble();
            if (accuracy > best) {
                best = accuracy;
                bestStep = e.get("step").asLong();
                stale = 0;
            } else {
                stale++;
            }
            assertTrue(stale <= 2, "ran on after 2 evaluations without a gain: " + evaluations);
        }
        assertEquals(2, stale, "the run ends exactly when patience runs out: " + evaluations);
        assertEquals(String.format("step-%06d", bestStep), Files.readString(run.resolve("checkpoints/LATEST")).trim(),
                "LATEST is the best checkpoint, not the last step");
    }

    @Test
    void badLabeledInputFailsWithOneLineNamingTheRow() throws Exception {
        Path unseen = dir.resolve("unseen.tsv");
        Files.write(unseen, List.of("sentence\tlabel", "fine film\t1", "odd film\t2"));
        Cli.Result r = finetune(dir.resolve("train.tsv").toString(), unseen.toString(), "bad1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unseen.tsv line 3: label '2' was not seen in training (labels: 0, 1)"),
                r.err());

        Path noColumn = dir.resolve("nocolumn.tsv");
        Files.write(noColumn, List.of("text\tlabel", "fine film\t1"));
        r = finetune(noColumn.toString(), dir.resolve("dev.tsv").toString(), "bad2");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no column 'sentence' in the header (columns: text, label)"), r.err());

        Path empty = dir.resolve("empty.tsv");
        Files.write(empty, List.of("sentence\tlabel", "fine film\t1", " \t0"));
        r = finetune(empty.toString(), dir.resolve("dev.tsv").toString(), "bad3");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("empty.tsv line 3: empty text in column 'sentence'"), r.err());
        assertEquals(1, r.err().strip().lines().filter(l -> l.startsWith("sparkformer")).count());

        Cli.Result generate = Cli.run("generate", "--checkpoint", pretrained.toString());
        assertEquals(2, generate.code(), "a BERT checkpoint cannot generate");
    }

    /** A TSV table of {@link #table} as Parquet: {@code review} (text), {@code stars} (int label), {@code score} (double). */
    private static String parquet(String tsv) throws Exception {
        List<String> lines = Files.readAllLines(dir.resolve(tsv));
        List<org.apache.spark.sql.Row> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] fields = line.split("\t");
            rows.add(org.apache.spark.sql.RowFactory.create(fields[0], Integer.parseInt(fields[1]), 0.5));
        }
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("review", org.apache.spark.sql.types.DataTypes.StringType)
                .add("stars", org.apache.spark.sql.types.DataTypes.IntegerType)
                .add("score", org.apache.spark.sql.types.DataTypes.DoubleType);
        String out = dir.resolve(tsv.replace(".tsv", ".parquet")).toString();
        org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().appName("tables")
                .getOrCreate();
        try {
            spark.createDataFrame(rows, schema).coalesce(1).write().parquet(out);
        } finally {
            spark.stop();
        }
        return out;
    }

    @Test
    void finetuneFromAParquetTableWithAnIntegerLabelColumnTrainsAsFromTheSameRowsInTsv() throws Exception {
        String train = parquet("train.tsv");
        String dev = parquet("dev.tsv");
        String[] shortRun = {"--set", "train.steps=20", "--set", "train.evalEvery=10"};
        Cli.Result tsv = finetune(dir.resolve("train.tsv").toString(), dir.resolve("dev.tsv").toString(), "ft-tsv",
                shortRun);
        assertEquals(0, tsv.code(), tsv.err());
        List<String> table = new ArrayList<>(List.of(shortRun));
        table.addAll(List.of("--format", "parquet", "--text-column", "review", "--label-column", "stars"));
        Cli.Result parquet = finetune(train, dev, "ft-parquet", table.toArray(String[]::new));
        assertEquals(0, parquet.code(), parquet.err());

        List<JsonNode> fromTsv = metrics(dir.resolve("ft-tsv"));
        List<JsonNode> fromParquet = metrics(dir.resolve("ft-parquet"));
        assertEquals(fromTsv.size(), fromParquet.size());
        for (int i = 0; i < fromTsv.size(); i++) {
            assertEquals(fromTsv.get(i).get("train_loss").asDouble(), fromParquet.get(i).get("train_loss").asDouble(),
                    1e-5, "train loss at step " + fromTsv.get(i).get("step"));
            assertEquals(fromTsv.get(i).path("val_accuracy").asDouble(), fromParquet.get(i).path("val_accuracy")
                    .asDouble(), 1e-9);
        }
        assertTrue(fromParquet.stream().anyMatch(n -> n.has("val_accuracy")), "validation ran on the Parquet table");

        List<String> badLabel = new ArrayList<>(List.of(shortRun));
        badLabel.addAll(List.of("--format", "parquet", "--text-column", "review", "--label-column", "score"));
        Cli.Result bad = finetune(train, dev, "ft-bad-label", badLabel.toArray(String[]::new));
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("error: table " + train + " column 'score' holds double, expected string, integer"
                + " or boolean (labels)"), bad.err());
        assertEquals(1, bad.err().strip().lines().filter(l -> l.startsWith("sparkformer")).count());
    }
}
