package io.sparkformer.job.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.config.TrainConfig;
import io.sparkformer.config.TrainConfig.Precision;
import io.sparkformer.data.ArrayTokenSource;
import io.sparkformer.data.BatchPlan;
import io.sparkformer.data.BatchSource;
import io.sparkformer.data.Batches;
import io.sparkformer.job.TestCorpus;
import io.sparkformer.job.spark.SparkContexts;
import io.sparkformer.job.train.RunDirectory;
import io.sparkformer.job.train.TensorBoardEvents;
import io.sparkformer.model.MemoryEstimate;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.model.kernel.Gemm;
import io.sparkformer.model.layer.WholeModelLayer;
import io.sparkformer.tokenize.CharTokenizer;
import io.sparkformer.train.LossEvaluator;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The round engine on real Spark (local mode) with a tiny GPT: skip semantics and keep-best early stopping. */
class RoundEngineTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static JavaSparkContext sc;
    private static CharTokenizer tokenizer;
    private static int[] tokens;
    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        sc = new JavaSparkContext(SparkContexts.withJobDefaults(new SparkConf().setMaster("local[1]")
                .setAppName("engine").set("spark.ui.enabled", "false")));
        String text = TestCorpus.shakespeare(20000);
        tokenizer = CharTokenizer.fit(text);
        tokens = tokenizer.encode(text);
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    private static SparkformerConfig config(String... more) {
        List<String> o = new ArrayList<>(List.of("model.layers=1", "model.heads=2", "model.embedDim=16",
                "model.contextLength=16", "train.batchSize=4", "train.warmupSteps=2", "spark.workers=1"));
        o.addAll(List.of(more));
        return ConfigLoader.defaults(o);
    }

    /**
     * Next-token batches whose label mask at {@code poisonedStep} (0-based) is infinite: the weighted
     * mean loss is inf/inf = NaN and so is every gradient. One bad step, then good ones.
     */
    record PoisonedAt(BatchSource clean, long poisonedStep) implements BatchSource {
        @Override
        public DataSet batch(long step, int worker) {
            DataSet d = clean.batch(step, worker);
            if (step == poisonedStep) {
                d.setLabelsMaskArray(Nd4j.valueArrayOf(d.getLabels().shape(), Float.POSITIVE_INFINITY,
                        DataType.FLOAT));
            }
            return d;
        }
    }

    /** A GPT as a family: real batches and graph; the evaluation is scripted where a test needs chosen scores. */
    record TinyGpt(SparkformerConfig config, ComputationGraph graph, BatchSource batches,
                   Deque<Map<String, Double>> scripted, KeepBest best) implements Family {
        static TinyGpt of(SparkformerConfig config, long poisonedStep, Deque<Map<String, Double>> scripted,
                          KeepBest best) {
            BatchPlan plan = new BatchPlan(config.train().seed(), 16, 4, 1, tokens.length);
            return new TinyGpt(config, GptGraphBuilder.build(config, tokenizer.vocabSize(), DataType.FLOAT),
                    new PoisonedAt(Batches.planned(new ArrayTokenSource(tokens), plan), poisonedStep), scripted, best);
        }

        @Override
        public double tokensPerStep() {
            return config.tokensPerStep();
        }

        @Override
        public String plotTitle(String runName) {
            return "engine test: " + runName;
        }

        @Override
        public Map<String, Double> evaluate() {
            if (scripted != null) {
                return scripted.removeFirst();
            }
            long[] starts = Batches.nonOverlappingStarts(2000, 16);
            return Map.of("val_loss", LossEvaluator.meanLoss(graph, List.of(Batches.of(new ArrayTokenSource(tokens),
                    Batches.slice(starts, 0, 4), 16))));
        }

        @Override
        public long dataCursor(long step) {
            return step * 4;
        }

        @Override
        public Checkpoint checkpoint(TrainingState state) {
            return Checkpoint.of(state, config, tokenizer, graph);
        }

        @Override
        public CheckpointPolicy checkpoints(TrainConfig train) {
            return best == null ? Family.super.checkpoints(train) : best;
        }

        @Override
        public StopRule stopRule() {
            return best == null ? StopRule.NEVER : best;
        }
    }

    private RoundEngine.Outcome run(SparkformerConfig config, Family family, String name) {
        RunDirectory run = new RunDirectory(dir.resolve(name).toString(), new Configuration());
        CheckpointStore store = new CheckpointStore(run.root().toString(), new Configuration(), 5);
        return new RoundEngine(sc, config, run, store, MemoryEstimate.Task.GPT, tokenizer.vocabSize())
                .run(family, TrainingState.initial(config.train().seed()));
    }

    private List<JsonNode> metrics(String name) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(name).resolve("metrics.jsonl"))) {
            lines.add(JSON.readTree(line));
        }
        return lines;
    }

    @Test
    void skipRestoresTheRoundThatWentNonFiniteAndTrainingGoesOn() throws Exception {
        SparkformerConfig config = config("train.steps=10", "train.evalEvery=5", "train.checkpointEvery=5",
                "spark.averagingFrequency=5", "train.onNonFinite=skip");
        TinyGpt family = TinyGpt.of(config, 2, null, null);   // step 3 of the first round is poisoned
        RoundEngine.Outcome o = run(config, family, "skip");

        assertEquals(10, o.steps());
        assertTrue(Double.isFinite(o.trainLoss()), "the second round trained: " + o.trainLoss());
        assertTrue(Double.isFinite(family.graph().params().sumNumber().doubleValue()), "parameters restored");
        List<JsonNode> lines = metrics("skip");
        assertEquals(1, lines.size(), "no line for the skipped round: " + lines);
        assertEquals(10, lines.get(0).get("step").asLong());
        assertEquals(5L * 4 * 16, lines.get(0).get("tokens").asLong(), "tokens of the one trained round only");
        Checkpoint latest = new CheckpointStore(dir.resolve("skip").toString(), new Configuration(), 5).loadLatest()
                .orElseThrow();
        assertEquals("step-000010", latest.name(), "no checkpoint of the skipped round at step 5");
    }

    @Test
    void trainPrecisionReachesTheWorkersAndTheCheckpointAndAResumeTakesTheConfigs() throws Exception {
        SparkformerConfig fp32 = config("train.steps=10", "train.evalEvery=10", "train.checkpointEvery=10",
                "spark.averagingFrequency=5", "model.embedDim=64", "model.heads=4");
        SparkformerConfig bf16 = config("train.steps=10", "train.evalEvery=10", "train.checkpointEvery=10",
                "spark.averagingFrequency=5", "model.embedDim=64", "model.heads=4", "train.precision=bf16");
        RoundEngine.Outcome a = run(fp32, TinyGpt.of(fp32, -1, null, null), "fp32");
        TinyGpt family = TinyGpt.of(bf16, -1, null, null);
        RoundEngine.Outcome b = run(bf16, family, "bf16");

        assertEquals(Precision.BF16, precision(family.graph()));
        Checkpoint saved = new CheckpointStore(dir.resolve("bf16").toString(), new Configuration(), 5).loadLatest()
                .orElseThrow();
        assertEquals(Precision.BF16, precision(saved.model()), "the checkpoint's configuration");
        assertTrue(Math.abs(a.trainLoss() - b.trainLoss()) < 0.02 * a.trainLoss(), a.trainLoss() + " vs " + b.trainLoss());
        if (Gemm.amx()) {
            // The workers build their replicas from the round's configuration: bf16 must have reached them.
            assertNotEquals(a.trainLoss(), b.trainLoss(), "the workers trained in bf16");
        }

        RunDirectory resumed = new RunDirectory(dir.resolve("bf16").toString(), new Configuration());
        SparkformerConfig more = config("train.steps=15", "train.evalEvery=5", "train.checkpointEvery=5",
                "spark.averagingFrequency=5", "model.embedDim=64", "model.heads=4");
        TinyGpt again = new TinyGpt(more, saved.model(), family.batches(), null, null);
        new RoundEngine(sc, more, resumed, new CheckpointStore(resumed.root().toString(), new Configuration(), 5),
                MemoryEstimate.Task.GPT, tokenizer.vocabSize()).run(again, saved.state());
        assertEquals(Precision.FP32, precision(again.graph()), "a resumed run trains at its config's precision");
    }

    private static Precision precision(ComputationGraph graph) {
        return ((WholeModelLayer) graph.getLayer(GptGraphBuilder.LAYER).conf().getLayer()).getPrecision();
    }

    @Test
    void keepBestCheckpointsImprovementsOnlyAndStopsAfterPatience() throws Exception {
        SparkformerConfig config = config("train.steps=20", "train.evalEvery=2", "train.checkpointEvery=3",
                "spark.averagingFrequency=2");
        Deque<Map<String, Double>> scores = new ArrayDeque<>();
        for (double[] s : new double[][] {{0.50, 0.9}, {0.70, 0.8}, {0.60, 0.7}, {0.70, 0.6}, {0.90, 0.5}}) {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("val_loss", s[1]);
            m.put("val_accuracy", s[0]);
            scores.add(m);
        }
        KeepBest best = new KeepBest("val_accuracy", "validation accuracy", 2);
        RoundEngine.Outcome o = run(config, TinyGpt.of(config, -1, scores, best), "best");

        assertTrue(o.stoppedEarly());
        assertEquals(8, o.steps(), "two evaluations (6, 8) without a gain after step 4");
        assertEquals(0.70, best.best());
        assertEquals(4, best.bestStep());
        assertEquals(List.of(2L, 4L, 6L, 8L), metrics("best").stream().map(l -> l.get("step").asLong()).toList(),
                "rounds cut at evaluations only, not at train.checkpointEvery = 3");
        assertEquals(0.70, metrics("best").get(3).get("val_accuracy").asDouble());
        assertEquals(List.of("step-000002", "step-000004"), new CheckpointStore(dir.resolve("best").toString(),
                new Configuration(), 5).list(), "a checkpoint at each improvement only");
        Checkpoint latest = new CheckpointStore(dir.resolve("best").toString(), new Configuration(), 5).loadLatest()
                .orElseThrow();
        assertEquals("step-000004", latest.name());
        assertEquals(0.8, latest.state().bestValLoss(), "the validation loss of the kept model");
        assertFalse(scores.isEmpty(), "no evaluation after the early stop");
    }

    @Test
    void sparkJobsOfEachRoundAreDescribedForTheSparkUi() throws Exception {
        SparkformerConfig config = config("train.steps=4", "train.evalEvery=4", "spark.averagingFrequency=2");
        List<String> descriptions = java.util.Collections.synchronizedList(new ArrayList<>());
        org.apache.spark.scheduler.SparkListener listener = new org.apache.spark.scheduler.SparkListener() {
            @Override
            public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart start) {
                descriptions.add(start.properties().getProperty("spark.job.description"));
            }
        };
        sc.sc().addSparkListener(listener);
        try {
            run(config, TinyGpt.of(config, -1, null, null), "described");
            sc.sc().listenerBus().waitUntilEmpty();
        } finally {
            sc.sc().removeSparkListener(listener);
        }
        assertTrue(descriptions.contains("round 1: steps 1-2 on 1 worker"), descriptions.toString());
        assertTrue(descriptions.contains("round 2: steps 3-4 on 1 worker"), descriptions.toString());
    }

    @Test
    void eventFilesHoldTheScalarsOfMetricsJsonlAndAResumeAddsAFile() throws Exception {
        SparkformerConfig first = config("train.steps=6", "train.evalEvery=3", "train.checkpointEvery=3",
                "spark.averagingFrequency=3");
        run(first, TinyGpt.of(first, -1, null, null), "events");
        SparkformerConfig more = config("train.steps=9", "train.evalEvery=3", "train.checkpointEvery=3",
                "spark.averagingFrequency=3");
        RunDirectory again = new RunDirectory(dir.resolve("events").toString(), new Configuration());
        CheckpointStore store = new CheckpointStore(again.root().toString(), new Configuration(), 5);
        Thread.sleep(1100);   // event files are named by the second the attempt starts
        new RoundEngine(sc, more, again, store, MemoryEstimate.Task.GPT, tokenizer.vocabSize())
                .run(TinyGpt.of(more, -1, null, null), store.loadLatest().orElseThrow().state());

        List<Path> files = eventFiles(dir.resolve("events"));
        assertEquals(2, files.size(), "one event file per attempt: " + files);
        List<List<TensorBoardEvents.Event>> events = new ArrayList<>();
        for (Path f : files) {
            events.add(TensorBoardEvents.read(f));
            assertEquals("brain.Event:2", events.get(events.size() - 1).get(0).fileVersion());
        }
        assertEquals(3, metrics("events").size(), "steps 3, 6 and 9");
        assertEquals(TensorBoardEvents.expectedScalars(metrics("events")), TensorBoardEvents.scalarsByStep(events));
    }

    /**
     * What a driver killed after its metrics line of step 6 but before that checkpoint leaves, resumed
     * from step 3: the earlier attempt's event file loses step 6, which the resumed attempt trains and
     * writes again, so every (step, tag) is in the run's event files once, with metrics.jsonl's value.
     */
    @Test
    void aResumeDropsTheEarlierAttemptsEventsPastItsCheckpoint() throws Exception {
        SparkformerConfig config = config("train.steps=6", "train.evalEvery=3", "train.checkpointEvery=3",
                "spark.averagingFrequency=3");
        run(config, TinyGpt.of(config, -1, null, null), "orphans");
        Path root = dir.resolve("orphans");
        org.apache.commons.io.FileUtils.deleteDirectory(root.resolve("checkpoints/step-000006").toFile());
        Files.writeString(root.resolve("checkpoints/LATEST"), "step-000003\n");
        List<Path> before = eventFiles(root);
        assertEquals(List.of(0L, 3L, 6L), TensorBoardEvents.read(before.get(0)).stream()
                .map(e -> e.step()).toList(), "the first attempt's events: version, steps 3 and 6");

        RunDirectory again = new RunDirectory(root.toString(), new Configuration());
        CheckpointStore store = new CheckpointStore(again.root().toString(), new Configuration(), 5);
        Thread.sleep(1100);   // event files are named by the second the attempt starts
        new RoundEngine(sc, config, again, store, MemoryEstimate.Task.GPT, tokenizer.vocabSize())
                .run(TinyGpt.of(config, -1, null, null), store.loadLatest().orElseThrow().state());

        List<Path> files = eventFiles(root);
        assertEquals(2, files.size(), "one event file per attempt: " + files);
        assertEquals(List.of(0L, 3L), TensorBoardEvents.read(files.get(0)).stream()
                .map(e -> e.step()).toList(), "the first attempt's step 6 is gone");
        assertEquals(List.of(3L, 6L), metrics("orphans").stream().map(l -> l.get("step").asLong()).toList());
        List<List<TensorBoardEvents.Event>> events = new ArrayList<>();
        for (Path f : files) {
            events.add(TensorBoardEvents.read(f));
        }
        assertEquals(TensorBoardEvents.expectedScalars(metrics("orphans")), TensorBoardEvents.scalarsByStep(events),
                "every (step, tag) once, with metrics.jsonl's value");
    }

    private static List<Path> eventFiles(Path root) throws Exception {
        try (var list = Files.list(root)) {
            return list.filter(f -> f.getFileName().toString().startsWith("events.out.tfevents.")).sorted().toList();
        }
    }
}
