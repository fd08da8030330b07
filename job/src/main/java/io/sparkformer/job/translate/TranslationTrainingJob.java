package io.sparkformer.job.translate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.config.TrainConfig;
import io.sparkformer.data.InputException;
import io.sparkformer.data.PairBatches;
import io.sparkformer.data.ParallelCorpus;
import io.sparkformer.data.TranslationPairs;
import io.sparkformer.decode.Seq2SeqTranslator;
import io.sparkformer.job.train.CheckpointTiming;
import io.sparkformer.job.train.GracefulStop;
import io.sparkformer.job.train.LossPlot;
import io.sparkformer.job.train.MetricsLog;
import io.sparkformer.job.train.NonFiniteLossException;
import io.sparkformer.job.train.Progress;
import io.sparkformer.job.train.RunDirectory;
import io.sparkformer.job.train.RunIdentity;
import io.sparkformer.job.train.SparkRounds;
import io.sparkformer.model.seq2seq.Seq2SeqGraphBuilder;
import io.sparkformer.train.LossEvaluator;
import io.sparkformer.train.TranslationEvaluator;
import io.sparkformer.train.WarmupCosineSchedule;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code train} for {@code model.family = seq2seq}: an encoder-decoder trained on a parallel corpus
 * with Spark parameter averaging. The corpus is read on the driver (two aligned files or a TSV),
 * the BPE vocabulary fitted from chunk counts made on the executors, the pairs encoded on the
 * executors and broadcast once; each round every worker fits its {@link PairBatches} (a pure
 * function of step and worker, so a resumed run replays the batches of an uninterrupted one) and
 * DL4J averages parameters and Adam state. Evaluations (validation loss, and greedy BLEU on
 * {@code seq2seq.evalSentences} validation pairs) and checkpoints fall exactly on their steps.
 * Without validation files the last {@code data.valFraction} of the pairs is held out.
 */
public final class TranslationTrainingJob {
    private static final Logger LOG = LoggerFactory.getLogger(TranslationTrainingJob.class);

    public record Options(PairFiles train, PairFiles validation, String out, boolean resume, boolean overwrite) {
    }

    /** What a finished run reports. */
    public record Result(long steps, double trainLoss, Double valLoss, Double valBleu, Path runDir) {
    }

    private TranslationTrainingJob() {
    }

    public static Result run(JavaSparkContext sc, SparkformerConfig config, Options options) {
        Configuration conf = sc.hadoopConfiguration();
        RunDirectory run = new RunDirectory(options.out(), conf);
        ParallelCorpus[] split = corpusAndValidation(options, config, conf);   // read whole before --overwrite deletes
        RunIdentity identity = RunIdentity.of("train", ConfigLoader.render(config))
                .withUri("source", options.train().source(), conf).withUri("target", options.train().target(), conf)
                .withUri("corpus", options.train().tsv(), conf)
                .withUri("val-source", options.validation().source(), conf)
                .withUri("val-target", options.validation().target(), conf)
                .withUri("val-corpus", options.validation().tsv(), conf);
        boolean resume = run.claim(identity, options.resume(), options.overwrite(),
                RunDirectory.Application.of(sc)) == RunDirectory.Start.RESUME;
        TrainConfig t = config.train();
        CheckpointStore store = CheckpointStore.forRun(run.root().toString(), conf, t);
        Optional<Checkpoint> resumed = resume ? store.loadLatest() : Optional.empty();
        resumed.ifPresent(c -> requireSameArchitecture(c, config));

        ParallelCorpus corpus = split[0];
        ParallelCorpus validation = split[1];
        LOG.info("Parallel corpus {}: {} training pairs, {} validation pairs", options.train(), corpus.size(),
                validation.size());
        TranslationVocabulary vocabulary = resumed.map(c -> new TranslationVocabulary(c.sourceTokenizer(),
                        c.tokenizer(), c.sourceTokenizerJson() == null))
                .orElseGet(() -> TranslationVocabulary.fit(sc, config, corpus));
        LOG.info("Vocabulary: {} ({} source, {} target tokens)", vocabulary.shared() ? "shared" : "separate",
                vocabulary.source().vocabSize(), vocabulary.target().vocabSize());
        run.writeString(RunDirectory.CONFIG, ConfigLoader.render(config));
        run.writeString(RunDirectory.TOKENIZER, vocabulary.target().toJson());
        if (!vocabulary.shared()) {
            run.writeString("source-" + RunDirectory.TOKENIZER, vocabulary.source().toJson());
        }

        int maxLength = config.model().contextLength();
        TranslationPairs all = vocabulary.encode(sc, corpus);
        TranslationPairs train = all.fitting(maxLength);
        if (train.size() < all.size()) {
            LOG.warn("{} of {} training pairs are longer than model.contextLength = {} tokens on a side (with <s> or"
                    + " </s>) and are left out", all.size() - train.size(), all.size(), maxLength);
        }
        TranslationPairs val = vocabulary.encode(sc, validation).fitting(maxLength);
        ComputationGraph graph = resumed.map(Checkpoint::model).orElseGet(() -> Seq2SeqGraphBuilder.build(config,
                vocabulary.source().vocabSize(), vocabulary.target().vocabSize(), DataType.FLOAT));
        TrainingState state = resumed.map(Checkpoint::state).orElse(TrainingState.initial(t.seed()));
        PairBatches batches = new PairBatches(train, vocabulary.sourceTokens(), vocabulary.targetTokens(),
                t.batchSize(), config.spark().workers(), t.seed());
        double tokensPerStep = (double) train.targetTokens() / train.size() * t.batchSize() * config.spark().workers();
        LOG.info("Model: {} parameters; {} worker(s) x batch {} pairs = ~{} target tokens/step, {} steps/epoch",
                graph.numParams(), config.spark().workers(), t.batchSize(), Math.round(tokensPerStep),
                Math.max(1, batches.batchesPerEpoch() / config.spark().workers()));

        int evalPairs = Math.min(val.size(), t.evalBatches() * t.batchSize());
        TranslationPairs valSubset = new TranslationPairs(java.util.Arrays.copyOf(val.sources(), evalPairs),
                java.util.Arrays.copyOf(val.targets(), evalPairs));
        List<DataSet> valBatches = PairBatches.inOrder(valSubset, t.batchSize(), vocabulary.sourceTokens(),
                vocabulary.targetTokens());
        ParallelCorpus bleuPairs = validation.head(config.seq2seq().evalSentences());
        MetricsLog metrics = new MetricsLog(run.file(RunDirectory.METRICS), conf);
        metrics.resumeAt(state.step());
        Loop loop = new Loop(config, graph, new SparkRounds(sc, graph, config, batches),
                batches, valBatches, bleuPairs, vocabulary, tokensPerStep, metrics, store, run, conf);
        try (GracefulStop stop = GracefulStop.install(t.shutdownGraceSeconds())) {
            return loop.run(state, new CheckpointTiming(t, stop, state.step()));
        }
    }

    /** {training, validation}: the validation files, or the last {@code data.valFraction} of the pairs. */
    private static ParallelCorpus[] corpusAndValidation(Options options, SparkformerConfig config,
                                                        Configuration conf) {
        ParallelCorpus corpus = options.train().read(conf);
        if (options.validation().isGiven()) {
            return new ParallelCorpus[] {corpus, options.validation().read(conf)};
        }
        return corpus.splitLast((int) Math.floor(corpus.size() * config.data().valFraction()));
    }

    /** The model and seq2seq sections fix the architecture; a resumed run must not change them. */
    static void requireSameArchitecture(Checkpoint c, SparkformerConfig config) {
        SparkformerConfig saved = c.config();
        boolean same = saved.model().equals(config.model())
                && saved.seq2seq().sharedVocabulary() == config.seq2seq().sharedVocabulary()
                && saved.seq2seq().sharedEmbeddings() == config.seq2seq().sharedEmbeddings()
                && saved.tokenizer().equals(config.tokenizer());
        if (!same) {
            throw new InputException("checkpoint " + c.name() + " has a different architecture (model.*, tokenizer.*,"
                    + " seq2seq.sharedVocabulary/sharedEmbeddings) than the config: start a new run or use the"
                    + " checkpoint's config.conf");
        }
    }

    /** The round-by-round loop with its bookkeeping. */
    private static final class Loop {
        private final SparkformerConfig config;
        private final ComputationGraph graph;
        private final SparkRounds rounds;
        private final PairBatches batches;
        private final List<DataSet> valBatches;
        private final ParallelCorpus bleuPairs;
        private final TranslationVocabulary vocabulary;
        private final double tokensPerStep;
        private final MetricsLog metrics;
        private final CheckpointStore store;
        private final RunDirectory run;
        private final Configuration conf;

        Loop(SparkformerConfig config, ComputationGraph graph, SparkRounds rounds, PairBatches batches,
             List<DataSet> valBatches, ParallelCorpus bleuPairs, TranslationVocabulary vocabulary,
             double tokensPerStep, MetricsLog metrics, CheckpointStore store, RunDirectory run, Configuration conf) {
            this.config = config;
            this.graph = graph;
            this.rounds = rounds;
            this.batches = batches;
            this.valBatches = valBatches;
            this.bleuPairs = bleuPairs;
            this.vocabulary = vocabulary;
            this.tokensPerStep = tokensPerStep;
            this.metrics = metrics;
            this.store = store;
            this.run = run;
            this.conf = conf;
        }

        Result run(TrainingState start, CheckpointTiming timing) {
            TrainConfig t = config.train();
            WarmupCosineSchedule schedule = new WarmupCosineSchedule(t.learningRate(), t.minLearningRate(),
                    t.warmupSteps(), t.decaySteps());
            long step = start.step();
            double tokens = start.tokens();
            double best = start.bestValLoss();
            long elapsedBefore = start.elapsedMillis();
            long sessionStart = System.nanoTime();
            long sessionStartStep = step;
            double trainLoss = Double.NaN;
            Double lastVal = null;
            Double lastBleu = null;
            try {
                while (step < t.steps() && !timing.stopRequested()) {
                    int n = roundLength(step);
                    long roundStart = System.nanoTime();
                    double loss = rounds.fit(step, n);
                    long done = step + n;
                    Optional<String> firstBad = rounds.firstNonFinite();
                    if (!Double.isFinite(loss) || firstBad.isPresent()) {
                        throw new NonFiniteLossException((Double.isFinite(loss) ? "parameters became non-finite"
                                : "training loss became " + loss) + " in steps " + (step + 1) + "-" + done
                                + firstBad.map(e -> "; it first went bad at " + e).orElse("")
                                + "; the last good checkpoint is " + store.latest().orElse("(none)"));
                    }
                    step = done;
                    tokens += n * tokensPerStep;
                    trainLoss = loss;
                    double rate = n * tokensPerStep / Math.max((System.nanoTime() - roundStart) / 1e9, 1e-9);
                    long elapsedMillis = elapsedBefore + (System.nanoTime() - sessionStart) / 1_000_000;
                    ObjectNode line = metrics.roundLine(step, Math.round(tokens), elapsedMillis,
                            schedule.valueAt((int) (step - 1), 0), loss, rate);
                    line.put("epoch", batches.epochs(step));
                    boolean evaluate = step % t.evalEvery() == 0 || step == t.steps();
                    if (evaluate) {
                        if (!valBatches.isEmpty()) {
                            lastVal = LossEvaluator.meanLoss(graph, valBatches);
                            line.put("val_loss", lastVal);
                            if (!(lastVal >= best)) {
                                best = lastVal;
                            }
                        }
                        if (bleuPairs.size() > 0) {
                            lastBleu = new TranslationEvaluator(graph, vocabulary.source(), vocabulary.target())
                                    .bleu(bleuPairs, Seq2SeqTranslator.Options.greedy(config.model().contextLength()))
                                    .score();
                            line.put("val_bleu", lastBleu);
                        }
                    }
                    metrics.append(line);
                    if (evaluate) {
                        double sessionRate = (step - sessionStartStep) * tokensPerStep
                                / Math.max((System.nanoTime() - sessionStart) / 1e9, 1e-9);
                        Duration eta = Duration.ofMillis((long) ((t.steps() - step) * tokensPerStep
                                / Math.max(sessionRate, 1e-9) * 1000));
                        LOG.info("{}{} | epoch {}", Progress.line(step, t.steps(), loss, lastVal, rate,
                                        Duration.ofMillis(elapsedMillis), eta),
                                lastBleu == null ? "" : String.format(java.util.Locale.ROOT, " | BLEU %.2f", lastBleu),
                                String.format(java.util.Locale.ROOT, "%.2f", batches.epochs(step)));
                        LossPlot.write(metrics.lines(), run.file(RunDirectory.PLOT), conf, "Sparkformer seq2seq: "
                                + run.root().getName());
                    }
                    if (timing.due(step)) {
                        save(timing, new TrainingState(step, Math.round(tokens),
                                step * config.spark().workers() * (long) t.batchSize(), t.seed(), best, elapsedMillis));
                    }
                }
                if (timing.due(step)) {   // a shutdown requested between two rounds
                    save(timing, new TrainingState(step, Math.round(tokens),
                            step * config.spark().workers() * (long) t.batchSize(), t.seed(), best,
                            elapsedBefore + (System.nanoTime() - sessionStart) / 1_000_000));
                }
                if (timing.stopRequested()) {
                    LOG.warn("Stopped at step {} of {} on a shutdown request: rerun the same command to continue", step,
                            t.steps());
                }
            } finally {
                metrics.flush();   // the lines since the last write
            }
            return new Result(step, trainLoss, lastVal, lastBleu, run.root());
        }

        private void save(CheckpointTiming timing, TrainingState state) {
            metrics.flush();
            store.save(Checkpoint.of(state, config, vocabulary.target(), graph)
                    .withSourceTokenizer(vocabulary.separateSourceJson()));
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
    }
}
