package io.sparkformer.job.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * DL4J's parameter averaging (same broadcast, same worker fit loop, same tree aggregation and
 * averaging of parameters and updater state), cut to what one round of {@link SparkRounds} needs:
 * <ul>
 *   <li>the round's data already has one partition per worker holding exactly its batches, so DL4J's
 *       persist + count job and random split are skipped;</li>
 *   <li>workers reuse a model kept in their executor between rounds ({@link WorkerModels}) instead
 *       of building one from the broadcast configuration every round;</li>
 *   <li>the previous round's broadcast is released when the next one is made, instead of waiting for
 *       a driver GC to let Spark's cleaner find it.</li>
 * </ul>
 * Measured on the baby GPT, local[2], averaging every step: see the commit introducing this class.
 */
final class RoundTrainingMaster extends ParameterAveragingTrainingMaster {
    private transient Broadcast<NetBroadcastTuple> previous;

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
            previous.unpersist(false);
        }
        Broadcast<NetBroadcastTuple> broadcast = graph.getSparkContext().broadcast(tuple);
        previous = broadcast;
        WorkerConfiguration configuration = new WorkerConfiguration(true, rddDataSetNumExamples, batchSizePerWorker,
                averagingFrequency, prefetchNumBatches, collectTrainingStats);
        return new ReusingWorker(broadcast, trainingMasterUID, saveUpdater, configuration, trainingHookList);
    }
}
