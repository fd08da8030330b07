package io.sparkformer.job.train;

import io.sparkformer.job.spark.InJvmHandoff;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.deeplearning4j.spark.impl.paramavg.aggregator.ParameterAveragingAggregationTuple;
import org.deeplearning4j.spark.impl.paramavg.aggregator.ParameterAveragingElementAddFunction;
import org.deeplearning4j.spark.impl.paramavg.aggregator.ParameterAveragingElementCombineFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DL4J's parameter averaging (same broadcast, same worker fit loop, same tree aggregation and
 * averaging of parameters and updater state), cut to what one round of {@link SparkRounds} needs:
 * <ul>
 *   <li>the round's data already has one partition per worker holding exactly its batches, so DL4J's
 *       persist + count job and random split are skipped;</li>
 *   <li>workers reuse a model kept in their executor between rounds ({@link WorkerModels}) instead
 *       of building one from the broadcast configuration every round;</li>
 *   <li>the previous round's broadcast is released when the next one is made, instead of waiting for
 *       a driver GC to let Spark's cleaner find it;</li>
 *   <li>the workers' results, which the driver deserializes into fresh off-heap arrays each round
 *       (3 x params floats per worker), are freed as soon as they are summed and copied into the
 *       model, instead of when a garbage collection finds them (baby GPT, local[2]: 19.5 MB a round
 *       that piled up to gigabytes before javacpp's limit forced a collection);</li>
 *   <li>with a local master, where every task runs in the driver's JVM, nothing is serialized: the
 *       workers read the driver's state and the driver sums the workers' own arrays, by reference
 *       ({@link RoundStart}, {@link InJvmHandoff}).</li>
 * </ul>
 * Measured on the baby GPT, local[2], averaging every step: see the commit introducing this class.
 */
final class RoundTrainingMaster extends ParameterAveragingTrainingMaster {
    private static final Logger LOG = LoggerFactory.getLogger(RoundTrainingMaster.class);
    private transient RoundStart previous;

    RoundTrainingMaster(Builder builder) {
        super(builder);
    }

    @Override
    public void executeTrainingMDS(SparkComputationGraph graph, JavaRDD<MultiDataSet> trainingData) {
        doIteration(graph, trainingData, 1, 1);
    }

    @Override
    public ParameterAveragingTrainingWorker getWorkerInstance(SparkComputationGraph graph) {
        ComputationGraph net = graph.getNetwork();
        NetBroadcastTuple tuple = new NetBroadcastTuple(net.getConfiguration(), net.params(),
                net.getUpdater().getStateViewArray());
        if (previous != null) {
            previous.release();
        }
        RoundStart start = RoundStart.of(graph.getSparkContext(), tuple);
        previous = start;
        WorkerConfiguration configuration = new WorkerConfiguration(true, rddDataSetNumExamples, batchSizePerWorker,
                averagingFrequency, prefetchNumBatches, collectTrainingStats);
        return new ReusingWorker(start, trainingMasterUID, saveUpdater, configuration, trainingHookList);
    }

    /**
     * DL4J's averaging of the round's results (sum by tree aggregation, divide, copy into the model,
     * advance the iteration count) with the summed results freed once copied; with a local master,
     * the workers' own arrays summed in partition order instead.
     */
    @Override
    protected void processResults(SparkDl4jMultiLayer network, SparkComputationGraph graph,
                                  JavaRDD<ParameterAveragingTrainingResult> results, int splitNum, int totalSplits) {
        boolean inJvm = previous instanceof RoundStart.InDriverJvm;   // how this round's workers got their state
        ParameterAveragingAggregationTuple tuple = inJvm ? sumInJvm(results)
                : results.treeAggregate(null, new ParameterAveragingElementAddFunction(), new FreeingCombine(),
                aggregationDepth);
        INDArray params = tuple == null ? null : tuple.getParametersSum();
        if (params == null) {
            LOG.info("Skipping imbalanced split with no data for all executors");
            return;
        }
        ComputationGraph g = graph.getNetwork();
        int count = tuple.getAggregationsCount();
        params.divi(count);
        INDArray updaterState = tuple.getUpdaterStateSum();
        if (updaterState != null) {
            updaterState.divi(count);
        }
        g.setParams(params);
        if (updaterState != null) {
            g.getUpdater().setStateViewArray(updaterState);
        }
        graph.setScore(tuple.getScoreSum() / count);
        Nd4j.getExecutioner().commit();
        if (!inJvm) {   // in the JVM, the sums are a worker model's own arrays
            free(params, g.params());
            free(updaterState, g.getUpdater().getStateViewArray());
        }
        ComputationGraphConfiguration conf = g.getConfiguration();
        conf.setIterationCount(conf.getIterationCount() + averagingFrequency);
    }

    /**
     * The workers' results summed into the first one's arrays, in partition order. Each is a worker
     * model's own parameter and updater arrays ({@link ReusingWorker}): the models are idle until the
     * next round, which loads the driver's state into them before anything else.
     */
    private static ParameterAveragingAggregationTuple sumInJvm(JavaRDD<ParameterAveragingTrainingResult> results) {
        ParameterAveragingElementAddFunction add = new ParameterAveragingElementAddFunction();
        ParameterAveragingElementCombineFunction combine = new ParameterAveragingElementCombineFunction();
        ParameterAveragingAggregationTuple sum = null;
        try {
            for (long key : results.map(new HandOver()).collect()) {
                sum = combine.call(sum, add.call(null, InJvmHandoff.take(key, ParameterAveragingTrainingResult.class)));
            }
        } catch (Exception e) {
            throw new IllegalStateException("summing the workers' results", e);
        }
        return sum;
    }

    /** A worker's result, handed to the driver's JVM by reference. */
    private static final class HandOver implements Function<ParameterAveragingTrainingResult, Long> {
        @Override
        public Long call(ParameterAveragingTrainingResult result) {
            return InJvmHandoff.put(result);
        }
    }

    /** Frees a deserialized sum (never the model's own array, which a local job could hand back). */
    private static void free(INDArray sum, INDArray own) {
        if (sum != null && sum != own && sum.closeable()) {
            sum.close();
        }
    }

    /**
     * DL4J's combine (v1 += v2), freeing v2's arrays once added when it runs on the driver: there every
     * operand is a task result deserialized for this merge alone. On executors an operand may be a
     * worker model's own arrays ({@link ReusingWorker}), so nothing is freed there.
     */
    static final class FreeingCombine extends ParameterAveragingElementCombineFunction {
        @Override
        public ParameterAveragingAggregationTuple call(ParameterAveragingAggregationTuple v1,
                                                       ParameterAveragingAggregationTuple v2) throws Exception {
            ParameterAveragingAggregationTuple sum = super.call(v1, v2);
            if (TaskContext.get() == null && v2 != null && sum != v2) {
                free(v2.getParametersSum(), sum.getParametersSum());
                free(v2.getUpdaterStateSum(), sum.getUpdaterStateSum());
            }
            return sum;
        }
    }
}
