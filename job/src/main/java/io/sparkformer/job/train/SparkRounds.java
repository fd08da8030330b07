package io.sparkformer.job.train;

import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.BatchPlan;
import io.sparkformer.data.BatchSource;
import io.sparkformer.data.Batches;
import io.sparkformer.data.TokenSource;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One averaging round at a time on Spark: each worker fits its batches of steps
 * [firstStep, firstStep + steps) from its own copy of the model, then DL4J averages parameters and
 * updater state into {@code graph}. A round of n steps needs a training master whose averaging
 * frequency is n (DL4J advances the schedule's iteration count by it), hence one per length.
 */
public final class SparkRounds {
    private final JavaSparkContext sc;
    private final ComputationGraph graph;
    private final SparkformerConfig config;
    private final BatchSource batches;
    private final int threads;
    private final Map<Integer, SparkComputationGraph> byLength = new HashMap<>();
    private final GlobalStepHook stepHook = new GlobalStepHook();
    private final NonFiniteWatch nonFiniteWatch;
    private final StepCounter stepCounter;
    private final RoundProgress progress;

    /** Rounds over the next-token windows of {@code plan} (the GPT family). */
    public SparkRounds(JavaSparkContext sc, ComputationGraph graph, SparkformerConfig config, BatchPlan plan,
                       TokenSource train) {
        this(sc, graph, config, Batches.planned(train, plan));
    }

    /**
     * Rounds over any family's batches: worker w at step s trains on {@code batches.batch(s, w)}. The
     * source is broadcast to the executors once.
     */
    public SparkRounds(JavaSparkContext sc, ComputationGraph graph, SparkformerConfig config, BatchSource batches) {
        this.sc = sc;
        this.graph = graph;
        this.config = config;
        this.batches = BroadcastBatches.of(sc, batches);
        this.threads = ThreadBudget.perWorker(sc, config.spark());
        this.nonFiniteWatch = new NonFiniteWatch(sc.sc().collectionAccumulator("sparkformer non-finite steps"));
        this.stepCounter = new StepCounter(sc.sc().longAccumulator("sparkformer steps"));
        this.progress = new RoundProgress(stepCounter.accumulatorId(), config.spark().workers());
        sc.sc().addSparkListener(progress);
        RoundSizeLimits.check(sc.getConf(), resultBytes(graph), config.spark().workers());
    }

    /** What a worker returns each round: its parameters and its updater state (Adam: two moments). */
    static long resultBytes(ComputationGraph graph) {
        long bytes = graph.params().length() * graph.params().dataType().width();
        if (graph.getUpdater() != null && graph.getUpdater().getStateViewArray() != null) {
            var state = graph.getUpdater().getStateViewArray();
            bytes += state.length() * state.dataType().width();
        }
        return bytes;
    }

    /** Runs one round and returns the workers' mean loss on their last batch. */
    public double fit(long firstStep, int steps) {
        SparkComputationGraph net = byLength.computeIfAbsent(steps, n -> new SparkComputationGraph(sc, graph,
                new RoundTrainingMaster(new ParameterAveragingTrainingMaster.Builder(config.spark().workers(),
                        config.train().batchSize())
                        .batchSizePerWorker(config.train().batchSize())
                        .averagingFrequency(n)
                        .workerPrefetchNumBatches(0)
                        .saveUpdater(true)
                        .repartionData(Repartition.Never)
                        .rddTrainingApproach(RDDTrainingApproach.Direct)
                        .storageLevel(null)
                        .collectTrainingStats(false)
                        .trainingHooks(stepHook, nonFiniteWatch, stepCounter))));
        stepHook.startRound(firstStep);
        nonFiniteWatch.startRound(firstStep);
        progress.reset();
        net.fit(RoundData.of(sc, batches, config.spark().workers(), firstStep, steps, threads));
        return net.getScore();
    }

    /**
     * Where the last round first went non-finite, if a worker saw a non-finite loss or parameter:
     * {@code "step 11 on worker 0: parameter h1.mlp.fc.W was already non-finite when the step began"}.
     */
    public Optional<String> firstNonFinite() {
        return nonFiniteWatch.first().map(NonFiniteWatch.Event::toString);
    }

    /** Steps every worker has done so far in the running round, as the executors' heartbeats tell. */
    public long stepsDoneInRound() {
        return progress.stepsDone();
    }

    /** Stops listening for the executors' step counts (the Spark context outlives the rounds). */
    public void close() {
        sc.sc().removeSparkListener(progress);
    }

    public ComputationGraph graph() {
        return graph;
    }
}
