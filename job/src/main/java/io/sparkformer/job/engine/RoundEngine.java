package io.sparkformer.job.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.config.TrainConfig;
import io.sparkformer.job.train.GracefulStop;
import io.sparkformer.job.train.LossPlot;
import io.sparkformer.job.train.MetricsLog;
import io.sparkformer.job.train.NonFiniteLossException;
import io.sparkformer.job.train.NonFiniteSkips;
import io.sparkformer.job.train.OffHeapBudget;
import io.sparkformer.job.train.Progress;
import io.sparkformer.job.train.RunDirectory;
import io.sparkformer.job.train.SparkRounds;
import io.sparkformer.job.train.TensorBoardLog;
import io.sparkformer.model.MemoryEstimate;
import io.sparkformer.model.layer.WholeModelGraph;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The one training loop every family runs on. Each round, every worker runs
 * {@code spark.averagingFrequency} steps on its own batches (DL4J parameter averaging, updater state
 * averaged too); rounds are cut so that evaluations and the policy's checkpoints fall exactly on
 * their steps, which makes a resumed run replay the rounds of an uninterrupted one. After each round:
 * the non-finite watch (stop, or with {@code train.onNonFinite = skip} restore and go on), the
 * metrics line (and its TensorBoard scalars), at evaluations the progress line (also every {@code train.progressSeconds}, from a
 * timer, inside long rounds too) and the plot, the policy's checkpoint, the stop
 * rule; on SIGTERM a last checkpoint if the policy wants one.
 */
public final class RoundEngine {
    private static final Logger LOG = LoggerFactory.getLogger(RoundEngine.class);

    /**
     * What a finished run reports. {@code latest}: the last value of every evaluation metric;
     * {@code meanTokensPerSecond}: training tokens of this session over its wall time (evaluations and
     * checkpoints included); {@code trainingTokensPerSecond}: over the time spent in rounds only.
     */
    public record Outcome(long steps, double trainLoss, Map<String, Double> latest, double meanTokensPerSecond,
                          double trainingTokensPerSecond, boolean stoppedEarly, Path runDir) {
        public Double latest(String metric) {
            return latest.get(metric);
        }
    }

    private final JavaSparkContext sc;
    private final SparkformerConfig config;
    private final RunDirectory run;
    private final CheckpointStore store;

    /**
     * An engine for a model of {@code config} with {@code vocabularySize} tokens, trained for
     * {@code task}. Made before the model is built: it refuses at once, with one line, when the
     * driver's or an executor's off-heap budget is too small for that model.
     */
    public RoundEngine(JavaSparkContext sc, SparkformerConfig config, RunDirectory run, CheckpointStore store,
                       MemoryEstimate.Task task, int vocabularySize) {
        this.sc = sc;
        this.config = config;
        this.run = run;
        this.store = store;
        OffHeapBudget.check(sc, config, task, vocabularySize);
    }

    /** Trains {@code family} from {@code start} (a resumed checkpoint's state or the initial one). */
    public Outcome run(Family family, TrainingState start) {
        run.recordIdentity();   // every check of a resumed run has passed by now
        MetricsLog metrics = new MetricsLog(run.file(RunDirectory.METRICS), sc.hadoopConfiguration());
        metrics.resumeAt(start.step());
        TensorBoardLog.dropStepsAfter(run.root(), start.step(), sc.hadoopConfiguration());
        CheckpointPolicy policy = family.checkpoints(config.train());
        policy.resume(metrics.lines());
        policy.start(start.step());
        WholeModelGraph.setPrecision(family.graph(), config.train().precision());   // a resumed graph too
        SparkRounds rounds = new SparkRounds(sc, family.graph(), config, family.batches());
        try (GracefulStop stop = GracefulStop.install(config.train().shutdownGraceSeconds());
             Progress progress = new Progress(config.train().steps(), start.step(), family.tokensPerStep(),
                     start.elapsedMillis(), config.train().progressSeconds(), rounds::stepsDoneInRound);
             TensorBoardLog events = TensorBoardLog.open(run.root(), sc.hadoopConfiguration())) {
            progress.resumedWith(metrics.lastValue("val_loss"));
            return new Session(family, rounds, metrics, events, policy, stop, progress, start).run();
        } finally {
            rounds.close();
            sc.clearJobGroup();
        }
    }

    /**
     * The learning rate the graph's updater applied at {@code step} (1-based), from the schedule the
     * graph carries: a resumed run trains on the checkpoint's graph and so on the checkpoint's
     * schedule, which differs from the config's where {@code train.decaySteps} follows an extended
     * {@code train.steps}. (A classifier's head runs at a multiple of it, finetune.headLearningRateFactor.)
     */
    static double learningRateAt(ComputationGraph graph, long step) {
        return ((BaseLayer) graph.getLayer(0).conf().getLayer()).getIUpdater().getLearningRate((int) (step - 1), 0);
    }

    /** One driver session's loop state. */
    private final class Session {
        private final TrainConfig t = config.train();
        private final Family family;
        private final SparkRounds rounds;
        private final MetricsLog metrics;
        private final TensorBoardLog events;
        private final CheckpointPolicy policy;
        private final GracefulStop stop;
        private final Progress progress;
        private final double tokensPerStep;
        private final long sessionStart = System.nanoTime();
        private final long sessionStartStep;
        private final long elapsedBefore;
        private final Map<String, Double> latest = new LinkedHashMap<>();
        private final NonFiniteSkips skips = new NonFiniteSkips(t);
        private long step;
        private double tokens;
        private double best;
        private double trainLoss = Double.NaN;
        private double roundSeconds;

        Session(Family family, SparkRounds rounds, MetricsLog metrics, TensorBoardLog events, CheckpointPolicy policy,
                GracefulStop stop, Progress progress, TrainingState start) {
            this.family = family;
            this.rounds = rounds;
            this.metrics = metrics;
            this.events = events;
            this.policy = policy;
            this.stop = stop;
            this.progress = progress;
            this.tokensPerStep = family.tokensPerStep();
            this.step = start.step();
            this.sessionStartStep = start.step();
            this.tokens = family.tokensAtStart(start);
            this.best = start.bestValLoss();
            this.elapsedBefore = start.elapsedMillis();
        }

        Outcome run() {
            boolean stoppedEarly = false;
            if (step >= t.steps()) {
                LOG.info("Run already at step {} of {}: nothing to train", step, t.steps());
            }
            try {
                while (step < t.steps() && !stop.requested() && !stoppedEarly) {
                    stoppedEarly = round();
                }
                if (policy.due(step, stop.requested())) {   // a shutdown requested between two rounds
                    save(elapsedMillis());
                }
                if (stop.requested()) {
                    LOG.warn("Stopped at step {} of {} on a shutdown request: rerun the same command to continue",
                            step, t.steps());
                }
            } finally {
                metrics.flush();   // the lines since the last write
            }
            double sessionSeconds = (System.nanoTime() - sessionStart) / 1e9;
            double trained = (step - sessionStartStep) * tokensPerStep;
            return new Outcome(step, trainLoss, latest, trained / Math.max(sessionSeconds, 1e-9),
                    trained / Math.max(roundSeconds, 1e-9), stoppedEarly, run.root());
        }

        /** One round and its bookkeeping; true when the stop rule ends the run. */
        private boolean round() {
            int n = roundLength();
            long roundStart = System.nanoTime();
            ParameterSnapshot before = t.onNonFinite() == TrainConfig.NonFinitePolicy.SKIP
                    ? ParameterSnapshot.of(family.graph()) : null;
            long done = step + n;
            // What the Spark UI lists for the round's jobs; round numbers count metrics lines, so they go on after a resume.
            int workers = config.spark().workers();
            describe(String.format(java.util.Locale.ROOT, "round %d: steps %d-%d on %d worker%s",
                    metrics.lines().size() + 1, step + 1, done, workers, workers == 1 ? "" : "s"));
            progress.roundStarted(step, n);
            double loss = rounds.fit(step, n);
            Optional<String> firstBad = rounds.firstNonFinite();
            skips.afterRound(step + 1, done, Double.isFinite(loss) && firstBad.isEmpty(),
                    () -> store.latest().orElse("(none)"));
            if (!Double.isFinite(loss) || firstBad.isPresent()) {
                // A worker whose last update went non-finite can leave the round's loss finite: its
                // parameters would still poison the average (and the next checkpoint).
                String what = (Double.isFinite(loss) ? "parameters became non-finite" : "training loss became "
                        + loss) + " in steps " + (step + 1) + "-" + done
                        + firstBad.map(e -> "; it first went bad at " + e).orElse("");
                if (before == null) {
                    throw new NonFiniteLossException(what + " (" + ParameterSnapshot.nonFiniteParameters(family.graph())
                            + "); the last good checkpoint is " + store.latest().orElse("(none)")
                            + " (set train.onNonFinite = skip to skip such rounds)");
                }
                LOG.warn("{}: round skipped, parameters restored", what);
                before.restore(family.graph());
                step = done;
                return false;
            }
            step = done;
            tokens += n * tokensPerStep;
            trainLoss = loss;
            double seconds = (System.nanoTime() - roundStart) / 1e9;
            roundSeconds += seconds;
            double rate = n * tokensPerStep / Math.max(seconds, 1e-9);
            progress.roundEnded(step, loss, rate);
            long elapsedMillis = elapsedMillis();
            ObjectNode line = metrics.roundLine(step, Math.round(tokens), elapsedMillis,
                    learningRateAt(family.graph(), step), loss, rate);
            family.roundFields(line, step);
            boolean evaluate = step % t.evalEvery() == 0 || step == t.steps();
            if (evaluate) {
                evaluate(line);
            }
            metrics.append(line);
            events.append(line);
            if (evaluate) {
                report();
            }
            if (policy.due(step, stop.requested())) {
                save(elapsedMillis);
            }
            if (evaluate && family.stopRule().shouldStop()) {
                LOG.info("Early stop at step {}: {}", step, family.stopRule().why());
                return true;
            }
            return false;
        }

        private void evaluate(ObjectNode line) {
            describe("evaluation at step " + step);
            Map<String, Double> m = family.evaluate();
            m.forEach(line::put);
            latest.putAll(m);
            Double val = m.get("val_loss");
            if (val != null && !(val >= best)) {
                best = val;
            }
            policy.evaluated(step, m);
        }

        private void report() {
            progress.evaluated(latest.get("val_loss"), family.progressSuffix(step, latest));
            LossPlot.write(metrics.lines(), run.file(RunDirectory.PLOT), sc.hadoopConfiguration(),
                    family.plotTitle(run.root().getName()));
        }

        private void save(long elapsedMillis) {
            TrainingState state = new TrainingState(step, Math.round(tokens), family.dataCursor(step), t.seed(),
                    policy.recordedValLoss(best), elapsedMillis);
            metrics.flush();
            describe("checkpoint " + Checkpoint.nameFor(step));
            store.save(family.checkpoint(state));
            policy.saved(step);
            LOG.info("Checkpoint {} written{}", Checkpoint.nameFor(step), policy.reason(step, stop.requested()));
        }

        /** Steps in the next round: the averaging frequency, cut at evaluation, checkpoint and end steps. */
        private int roundLength() {
            long next = Math.min(t.steps(), step + config.spark().averagingFrequency());
            next = Math.min(next, (step / t.evalEvery() + 1) * t.evalEvery());
            next = Math.min(next, policy.nextCut(step));
            return (int) (next - step);
        }

        /** Names the Spark jobs that follow in the Spark UI (one job group for the whole run). */
        private void describe(String what) {
            sc.setJobGroup("sparkformer " + run.root().getName(), what, false);
        }

        private long elapsedMillis() {
            return elapsedBefore + (System.nanoTime() - sessionStart) / 1_000_000;
        }
    }
}
