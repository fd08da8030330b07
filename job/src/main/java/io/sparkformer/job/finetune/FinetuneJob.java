package io.sparkformer.job.finetune;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.ModelConfig;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.config.TrainConfig;
import io.sparkformer.data.ExampleBatches;
import io.sparkformer.data.InputException;
import io.sparkformer.job.train.GracefulStop;
import io.sparkformer.job.train.LossPlot;
import io.sparkformer.job.train.MetricsLog;
import io.sparkformer.job.train.NonFiniteLossException;
import io.sparkformer.job.train.Progress;
import io.sparkformer.job.train.RunDirectory;
import io.sparkformer.job.train.RunIdentity;
import io.sparkformer.job.train.SparkRounds;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.model.bert.BertLayer;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.train.ClassificationMetrics;
import io.sparkformer.train.ClassifierEvaluator;
import io.sparkformer.train.WarmupCosineSchedule;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code finetune}: a BERT classifier trained on a labeled table, starting from a BERT checkpoint's
 * encoder (or, with {@code fromScratch}, from its architecture and tokenizer only: the baseline).
 * Rounds of Spark parameter averaging as in {@code train}; every {@code train.evalEvery} steps the
 * validation accuracy is measured, a checkpoint is written when it is the best so far (so the run's
 * LATEST is always the best model), and training stops after {@code finetune.patience} evaluations
 * without a gain.
 *
 * <p>The architecture and the tokenizer come from the checkpoint; the fine-tune config gives
 * {@code train.*}, {@code spark.*}, {@code finetune.*} and {@code model.dropout}.
 */
public final class FinetuneJob {
    private static final Logger LOG = LoggerFactory.getLogger(FinetuneJob.class);

    /** What the user asked for on the command line besides the config; {@code validation} may be null. */
    public record Options(String checkpoint, boolean fromScratch, String train, String validation, String out,
                          boolean overwrite) {
    }

    /** What a finished fine-tune reports: the best validation accuracy and where it was reached. */
    public record Result(long steps, double bestAccuracy, long bestStep, boolean stoppedEarly, Path runDir) {
    }

    private FinetuneJob() {
    }

    public static Result run(JavaSparkContext sc, SparkformerConfig fineTuneConfig, Options options) {
        Configuration conf = sc.hadoopConfiguration();
        Checkpoint start = CheckpointStore.open(options.checkpoint(), conf);
        BertGraphBuilder.layer(start.model(), BertLayer.class, "checkpoint " + options.checkpoint());
        SparkformerConfig config = effectiveConfig(fineTuneConfig, start.config());
        Tokenizer tokenizer = start.tokenizer();
        // Every input is read and checked before the run directory is claimed (--overwrite deletes).
        ClassifierData data = ClassifierData.load(options.train(), options.validation(), config, tokenizer, conf);
        config = config.withFinetune(config.finetune().withLabels(data.labels().values()));
        LOG.info("Effective config:\n{}", ConfigLoader.render(config));
        LOG.info("{} training and {} validation examples, labels {}", data.train().size(), data.validation().size(),
                data.labels().values());
        RunDirectory run = new RunDirectory(options.out(), conf);
        RunIdentity identity = RunIdentity.of("finetune", ConfigLoader.render(config))
                .withUri("checkpoint", options.checkpoint(), conf)
                .with("from-scratch", options.fromScratch() ? "true" : null)
                .withUri("train", options.train(), conf).withUri("validation", options.validation(), conf);
        boolean resume = run.claim(identity, false, options.overwrite(), RunDirectory.Application.of(sc))
                == RunDirectory.Start.RESUME;
        CheckpointStore store = CheckpointStore.forRun(run.root().toString(), conf, config.train());
        Optional<Checkpoint> resumed = resume ? store.loadLatest() : Optional.empty();

        ComputationGraph graph;
        if (resumed.isPresent()) {
            // LATEST is the best checkpoint so far: the steps after it are trained again, as before.
            graph = resumed.get().model();
            LOG.info("Resuming the fine-tune in {} from its best checkpoint {}", run.root(), resumed.get().name());
        } else {
            graph = BertGraphBuilder.classifier(config, tokenizer.vocabSize(), data.labels().size(), DataType.FLOAT);
            if (options.fromScratch()) {
                LOG.info("From scratch: random initialisation (architecture and tokenizer of {})", start.name());
            } else {
                long copied = BertGraphBuilder.copyEncoder(start.model(), graph);
                LOG.info("Encoder ({} parameters) from {} {}; new classifier head", copied, options.checkpoint(),
                        start.name());
            }
        }
        run.writeString(RunDirectory.CONFIG, ConfigLoader.render(config));
        run.writeString(RunDirectory.TOKENIZER, tokenizer.toJson());
        // On SIGTERM the fine-tune stops after its round without a checkpoint: LATEST is kept the best
        // model, and a rerun replays the steps after it.
        try (GracefulStop stop = GracefulStop.install(config.train().shutdownGraceSeconds())) {
            return new Loop(sc, config, graph, data, tokenizer, run, store)
                    .run(resumed.map(Checkpoint::state).orElse(TrainingState.initial(config.train().seed())), stop);
        }
    }

    /** The fine-tune's settings on the checkpoint's architecture (with the fine-tune's dropout) and tokenizer. */
    static SparkformerConfig effectiveConfig(SparkformerConfig fineTune, SparkformerConfig pretrained) {
        if (pretrained.model().family() != ModelConfig.ModelFamily.BERT) {
            throw new InputException("finetune needs a BERT checkpoint; this one is model.family = "
                    + pretrained.model().family().name().toLowerCase(Locale.ROOT));
        }
        return fineTune.withArchitecture(pretrained.model().withDropout(fineTune.model().dropout()),
                pretrained.tokenizer());
    }

    /** Rounds, evaluations, best checkpoints and early stopping. */
    private static final class Loop {
        private final SparkformerConfig config;
        private final ComputationGraph graph;
        private final ClassifierData data;
        private final Tokenizer tokenizer;
        private final RunDirectory run;
        private final Configuration conf;
        private final ExampleBatches batches;
        private final SparkRounds rounds;
        private final MetricsLog metrics;
        private final CheckpointStore store;
        private final EarlyStopping stopping;
        private final int pad;

        Loop(JavaSparkContext sc, SparkformerConfig config, ComputationGraph graph, ClassifierData data,
             Tokenizer tokenizer, RunDirectory run, CheckpointStore store) {
            TrainConfig t = config.train();
            this.config = config;
            this.graph = graph;
            this.data = data;
            this.tokenizer = tokenizer;
            this.run = run;
            this.conf = sc.hadoopConfiguration();
            this.pad = BertTokens.of(tokenizer).pad();
            this.batches = new ExampleBatches(data.train(), t.batchSize(), config.spark().workers(), t.seed(), pad);
            this.rounds = new SparkRounds(sc, graph, config, batches);
            this.metrics = new MetricsLog(run.file(RunDirectory.METRICS), conf);
            this.store = store;
            this.stopping = new EarlyStopping(config.finetune().patience());
        }

        Result run(TrainingState from, GracefulStop stop) {
            TrainConfig t = config.train();
            WarmupCosineSchedule schedule = new WarmupCosineSchedule(t.learningRate(), t.minLearningRate(),
                    t.warmupSteps(), t.decaySteps());
            long examplesPerStep = (long) t.batchSize() * config.spark().workers();
            double tokensPerStep = examplesPerStep * data.meanTrainLength();
            long begin = System.nanoTime() - from.elapsedMillis() * 1_000_000;
            long step = from.step();
            metrics.resumeAt(step);
            for (ObjectNode line : metrics.lines()) {   // the evaluations before the checkpoint, for early stopping
                if (line.has("val_accuracy")) {
                    stopping.record(line.get("step").asLong(), line.get("val_accuracy").asDouble());
                }
            }
            try {
                while (step < t.steps() && !stop.requested()) {
                    long next = Math.min(Math.min(t.steps(), step + config.spark().averagingFrequency()),
                            (step / t.evalEvery() + 1) * t.evalEvery());
                    int n = (int) (next - step);
                    long roundStart = System.nanoTime();
                    double loss = rounds.fit(step, n);
                    if (!Double.isFinite(loss)) {
                        throw new NonFiniteLossException("training loss became " + loss + " in steps " + (step + 1) + "-"
                                + next + "; the best checkpoint so far is " + store.latest().orElse("(none)"));
                    }
                    step = next;
                    double rate = n * tokensPerStep / Math.max((System.nanoTime() - roundStart) / 1e9, 1e-9);
                    long elapsedMillis = (System.nanoTime() - begin) / 1_000_000;
                    ObjectNode line = metrics.roundLine(step, Math.round(step * tokensPerStep), elapsedMillis,
                            schedule.valueAt((int) (step - 1), 0), loss, rate);
                    line.put("epoch", batches.epochs(step));
                    line.put("examples", step * examplesPerStep);
                    boolean evaluate = step % t.evalEvery() == 0 || step == t.steps();
                    if (evaluate) {
                        evaluate(step, loss, rate, elapsedMillis, line);
                    }
                    metrics.append(line);
                    if (evaluate) {
                        LossPlot.write(metrics.lines(), run.file(RunDirectory.PLOT), conf, "Sparkformer fine-tune: "
                                + run.root().getName());
                        if (stopping.shouldStop()) {
                            LOG.info("Early stop at step {}: no better validation accuracy in {} evaluations; best {} at"
                                    + " step {}", step, config.finetune().patience(), fmt(stopping.best()),
                                    stopping.bestStep());
                            return new Result(step, stopping.best(), stopping.bestStep(), true, run.root());
                        }
                    }
                }
            } finally {
                metrics.flush();   // the lines since the last write
            }
            return new Result(step, stopping.best(), stopping.bestStep(), false, run.root());
        }

        private void evaluate(long step, double loss, double rate, long elapsedMillis, ObjectNode line) {
            TrainConfig t = config.train();
            ClassificationMetrics m = ClassifierEvaluator.evaluate(graph, data.validation(), data.labels().values(),
                    t.batchSize(), pad);
            line.put("val_loss", m.loss());
            line.put("val_accuracy", m.accuracy());
            line.put("val_macro_f1", m.macroF1());
            boolean best = stopping.record(step, m.accuracy());
            Duration eta = Duration.ofMillis((long) ((double) elapsedMillis / step * (t.steps() - step)));
            LOG.info("{} | accuracy {} (best {} at step {})", Progress.line(step, t.steps(), loss, m.loss(), rate,
                    Duration.ofMillis(elapsedMillis), eta), fmt(m.accuracy()), fmt(stopping.best()), stopping.bestStep());
            if (best) {
                TrainingState state = new TrainingState(step, line.get("tokens").asLong(),
                        line.get("examples").asLong(), t.seed(), m.loss(), elapsedMillis);
                metrics.flush();
                store.save(Checkpoint.of(state, config, tokenizer, graph));
                LOG.info("Checkpoint {} written (best validation accuracy so far)", Checkpoint.nameFor(step));
            }
        }

        private static String fmt(double accuracy) {
            return String.format(Locale.ROOT, "%.4f", accuracy);
        }
    }
}
