package io.sparkformer.job.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.config.TrainConfig;
import io.sparkformer.data.BatchPlan;
import io.sparkformer.data.BatchSource;
import io.sparkformer.data.CorpusFiles;
import io.sparkformer.data.DataManifest;
import io.sparkformer.data.HadoopConf;
import io.sparkformer.data.InputException;
import io.sparkformer.data.ShardedTokenSource;
import io.sparkformer.job.prepare.PrepareJob;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.train.WarmupCosineSchedule;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;

/**
 * {@code train}: the driver loop. Each round, every worker runs {@code averagingFrequency} steps on
 * its own batches (DL4J parameter averaging, updater state averaged too); rounds are cut so that
 * evaluations and checkpoints fall exactly on their steps, which makes a resumed run replay the
 * rounds of an uninterrupted one.
 */
public final class TrainingJob {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingJob.class);

    /** What the user asked for on the command line besides the config. */
    public record Options(String corpus, String out, boolean resume, boolean overwrite) {
    }

    /** What a finished run reports. */
    /**
     * {@code meanTokensPerSecond}: training tokens of this session over its wall time (evaluation and
     * checkpoints included); {@code trainingTokensPerSecond}: over the time spent in training rounds only.
     */
    public record Result(long steps, double trainLoss, Double valLoss, double meanTokensPerSecond,
                         double trainingTokensPerSecond, Path runDir) {
    }

    private TrainingJob() {
    }

    public static Result run(JavaSparkContext sc, SparkformerConfig config, Options options) {
        HadoopConf hconf = new HadoopConf(sc.hadoopConfiguration());
        RunDirectory run = new RunDirectory(options.out(), hconf.get());
        if (!RunDirectory.isPrepared(options.corpus(), hconf.get())) {
            // A missing, binary or non-UTF-8 corpus fails before --overwrite deletes anything.
            for (String file : CorpusFiles.list(options.corpus(), hconf.get())) {
                CorpusFiles.checkStart(file, hconf.get());
            }
        }
        boolean resume = run.claim(RunIdentity.of("train", ConfigLoader.render(config))
                        .withUri("corpus", options.corpus(), hconf.get()), options.resume(), options.overwrite(),
                RunDirectory.Application.of(sc)) == RunDirectory.Start.RESUME;
        TrainConfig t = config.train();
        CheckpointStore store = CheckpointStore.forRun(run.root().toString(), hconf.get(), t);
        Optional<Checkpoint> resumed = resume ? store.loadLatest() : Optional.empty();
        if (resume && resumed.isEmpty()) {
            LOG.info("No checkpoint in {}: starting a new run", run.root());
        }
        resumed.ifPresent(c -> ResumeChecks.requireSameArchitecture(c, config));

        String dataDir = dataDirectory(sc, config, options, run, hconf, resumed.map(Checkpoint::tokenizer));
        DataManifest manifest = DataManifest.fromJson(
                PrepareJob.readString(new Path(dataDir, DataManifest.FILE), hconf.get()), dataDir + "/" + DataManifest.FILE);
        Tokenizer tokenizer = Tokenizer.fromJson(
                PrepareJob.readString(new Path(dataDir, PrepareJob.TOKENIZER_FILE), hconf.get()));
        if (!tokenizer.sha256().equals(manifest.tokenizerSha256())) {
            throw new InputException("tokenizer.json in " + dataDir + " does not match its manifest");
        }
        resumed.ifPresent(c -> ResumeChecks.requireSameTokenizer(c, tokenizer, dataDir));
        OffHeapBudget.check(sc, config, tokenizer.vocabSize());
        run.writeString(RunDirectory.CONFIG, ConfigLoader.render(config));
        run.writeString(RunDirectory.TOKENIZER, tokenizer.toJson());

        FamilyTraining family = FamilyTraining.of(config, tokenizer);
        ComputationGraph graph = resumed.map(Checkpoint::model).orElseGet(() -> family.newGraph(tokenizer.vocabSize()));
        TrainingState state = resumed.map(Checkpoint::state).orElse(TrainingState.initial(t.seed()));
        LOG.info("Model: {} parameters, vocabulary {}, {} worker(s) x batch {} x context {} = {} tokens/step",
                graph.numParams(), tokenizer.vocabSize(), config.spark().workers(), t.batchSize(),
                config.model().contextLength(), config.tokensPerStep());

        ShardedTokenSource train = ShardedTokenSource.train(dataDir, manifest, hconf);
        ShardedTokenSource val = ShardedTokenSource.validation(dataDir, manifest, hconf);
        BatchPlan plan = family.plan(manifest.trainTokens());
        Validation validation = family.validation(val);
        MetricsLog metrics = new MetricsLog(run.file(RunDirectory.METRICS), hconf.get());
        metrics.resumeAt(state.step());

        Loop loop = new Loop(sc, config, graph, plan, family.trainBatches(train, plan), validation, metrics, store,
                run, tokenizer, hconf);
        try (GracefulStop stop = GracefulStop.install(t.shutdownGraceSeconds())) {
            return loop.run(state, new CheckpointTiming(t, stop, state.step()));
        }
    }

    /**
     * The prepared data to train on: {@code --corpus} itself, data prepared earlier in the run, or
     * the corpus prepared now, with the resumed checkpoint's tokenizer if there is one (so that an
     * imported model can be fine-tuned on new text).
     */
    private static String dataDirectory(JavaSparkContext sc, SparkformerConfig config, Options options,
                                        RunDirectory run, HadoopConf hconf, Optional<Tokenizer> resumedTokenizer) {
        if (RunDirectory.isPrepared(options.corpus(), hconf.get())) {
            return options.corpus();
        }
        String dataDir = run.file(RunDirectory.DATA).toString();
        if (RunDirectory.isPrepared(dataDir, hconf.get())) {
            LOG.info("Using the data prepared earlier in {}", dataDir);
            return dataDir;
        }
        PrepareJob.run(sc, config, options.corpus(), dataDir, resumedTokenizer);
        return dataDir;
    }

    /** The round-by-round loop with its bookkeeping. */
    private static final class Loop {
        private final JavaSparkContext sc;
        private final SparkformerConfig config;
        private final ComputationGraph graph;
        private final BatchPlan plan;
        private final Validation validation;
        private final MetricsLog metrics;
        private final CheckpointStore store;
        private final RunDirectory run;
        private final Tokenizer tokenizer;
        private final HadoopConf hconf;
        private final SparkRounds rounds;
        private final WarmupCosineSchedule schedule;

        Loop(JavaSparkContext sc, SparkformerConfig config, ComputationGraph graph, BatchPlan plan,
             BatchSource train, Validation validation, MetricsLog metrics, CheckpointStore store,
             RunDirectory run, Tokenizer tokenizer, HadoopConf hconf) {
            this.sc = sc;
            this.config = config;
            this.graph = graph;
            this.plan = plan;
            this.validation = validation;
            this.metrics = metrics;
            this.store = store;
            this.run = run;
            this.tokenizer = tokenizer;
            this.hconf = hconf;
            TrainConfig t = config.train();
            this.schedule = new WarmupCosineSchedule(t.learningRate(), t.minLearningRate(), t.warmupSteps(),
                    t.decaySteps());
            this.rounds = new SparkRounds(sc, graph, config, train);
        }

        Result run(TrainingState start, CheckpointTiming timing) {
            TrainConfig t = config.train();
            long step = start.step();
            long tokens = start.tokens();
            double best = start.bestValLoss();
            long elapsedBefore = start.elapsedMillis();
            long sessionStart = System.nanoTime();
            long sessionStartStep = step;
            double trainLoss = Double.NaN;
            Double lastVal = null;
            double rate = 0;
            double roundSeconds = 0;
            if (step >= t.steps()) {
                LOG.info("Run already at step {} of {}: nothing to train", step, t.steps());
            }
            NonFiniteSkips skips = new NonFiniteSkips(t);
            try {
                while (step < t.steps() && !timing.stopRequested()) {
                    int n = roundLength(step);
                    long roundStart = System.nanoTime();
                    INDArray[] before = t.onNonFinite() == TrainConfig.NonFinitePolicy.SKIP ? snapshot() : null;
                    double loss = rounds.fit(step, n);
                    long done = step + n;
                    Optional<String> firstBad = rounds.firstNonFinite();
                    skips.afterRound(step + 1, done, Double.isFinite(loss) && firstBad.isEmpty(), () -> store.latest().orElse("(none)"));
                    if (!Double.isFinite(loss) || firstBad.isPresent()) {
                        // A worker whose last update went non-finite can leave the round's loss finite:
                        // its parameters would still poison the average (and the next checkpoint).
                        String what = (Double.isFinite(loss) ? "parameters became non-finite" : "training loss became "
                                + loss) + " in steps " + (step + 1) + "-" + done
                                + firstBad.map(e -> "; it first went bad at " + e).orElse("");
                        if (before == null) {
                            throw new NonFiniteLossException(what + " (" + nonFiniteParameters()
                                    + "); the last good checkpoint is " + store.latest().orElse("(none)")
                                    + " (set train.onNonFinite = skip to skip such rounds)");
                        }
                        LOG.warn("{}: round skipped, parameters restored", what);
                        restore(before);
                        step = done;
                        continue;
                    }
                    step = done;
                    tokens += (long) n * config.tokensPerStep();
                    trainLoss = loss;
                    double seconds = (System.nanoTime() - roundStart) / 1e9;
                    roundSeconds += seconds;
                    rate = n * config.tokensPerStep() / Math.max(seconds, 1e-9);
                    long elapsedMillis = elapsedBefore + (System.nanoTime() - sessionStart) / 1_000_000;
                    ObjectNode line = metrics.roundLine(step, tokens, elapsedMillis,
                            schedule.valueAt((int) (step - 1), 0), loss, rate);
                    boolean evaluate = step % t.evalEvery() == 0 || step == t.steps();
                    if (evaluate && validation.available()) {
                        lastVal = validation.loss(graph);
                        line.put("val_loss", lastVal);
                        if (!(lastVal >= best)) {
                            best = lastVal;
                        }
                    }
                    metrics.append(line);
                    if (evaluate) {
                        double sessionRate = (step - sessionStartStep) * config.tokensPerStep()
                                / Math.max((System.nanoTime() - sessionStart) / 1e9, 1e-9);
                        Duration eta = Duration.ofMillis((long) ((t.steps() - step) * config.tokensPerStep()
                                / Math.max(sessionRate, 1e-9) * 1000));
                        LOG.info(Progress.line(step, t.steps(), loss, lastVal, rate, Duration.ofMillis(elapsedMillis), eta));
                        LossPlot.write(metrics.lines(), run.file(RunDirectory.PLOT), hconf.get(), "Sparkformer: "
                                + run.root().getName());
                    }
                    if (timing.due(step)) {
                        save(timing, new TrainingState(step, tokens, plan.sequenceIndex(step, 0, 0), t.seed(), best,
                                elapsedMillis));
                    }
                }
                if (timing.due(step)) {   // a shutdown requested between two rounds
                    save(timing, new TrainingState(step, tokens, plan.sequenceIndex(step, 0, 0), t.seed(), best,
                            elapsedBefore + (System.nanoTime() - sessionStart) / 1_000_000));
                }
                if (timing.stopRequested()) {
                    LOG.warn("Stopped at step {} of {} on a shutdown request: rerun the same command to continue", step,
                            t.steps());
                }
            } finally {
                metrics.flush();   // the lines since the last write
            }
            double sessionSeconds = (System.nanoTime() - sessionStart) / 1e9;
            double meanRate = (step - sessionStartStep) * config.tokensPerStep() / Math.max(sessionSeconds, 1e-9);
            double trainingRate = (step - sessionStartStep) * config.tokensPerStep() / Math.max(roundSeconds, 1e-9);
            return new Result(step, trainLoss, lastVal, meanRate, trainingRate, run.root());
        }

        private void save(CheckpointTiming timing, TrainingState state) {
            metrics.flush();
            store.save(Checkpoint.of(state, config, tokenizer, graph));
            timing.saved(state.step());
            LOG.info("Checkpoint {} written{}", Checkpoint.nameFor(state.step()), timing.reason(state.step()));
        }

        /** Steps in the next round: the averaging frequency, cut at evaluation/checkpoint/end steps. */
        private int roundLength(long step) {
            TrainConfig t = config.train();
            long next = Math.min(t.steps(), step + config.spark().averagingFrequency());
            next = Math.min(next, (step / t.evalEvery() + 1) * t.evalEvery());
            next = Math.min(next, (step / t.checkpointEvery() + 1) * t.checkpointEvery());
            return (int) (next - step);
        }

        /**
         * How many parameters hold NaN or infinity after the round. Averaging spreads one worker's
         * divergence into every parameter, so this is the damage; {@link NonFiniteWatch} names the origin.
         */
        private String nonFiniteParameters() {
            var table = graph.getLayers()[0].paramTable();      // every family is one whole-model layer
            long bad = table.values().stream().filter(p -> p.isNaN().any() || p.isInfinite().any()).count();
            return "after the round " + bad + " of " + table.size() + " parameters are non-finite";
        }

        private INDArray[] snapshot() {
            INDArray updater = graph.getUpdater() == null ? null : graph.getUpdater().getStateViewArray();
            return new INDArray[] {graph.params().dup(), updater == null ? null : updater.dup()};
        }

        private void restore(INDArray[] before) {
            graph.setParams(before[0]);
            if (before[1] != null) {
                graph.getUpdater().getStateViewArray().assign(before[1]);
            }
        }
    }
}
